#!/usr/bin/env node
// Thin entry point: the compiled CLI lives in dist/ (built by `npm ci` through `prepare`).
import { main } from "../dist/cli.js";

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(error);
    process.exitCode = 70;
  },
);
