// The layering of src/ (docs/architecture.md), enforced by `npm run lint:deps`.
// Bottom to top: a folder may import its own layer's basics and lower layers, never a higher
// layer and never a sibling folder of its own layer; so no two folders depend on each other.
const LAYERS = [
  ["util", "errors.ts", "paths.ts", "config.ts"],
  ["stats"],
  ["results"],
  ["plan"],
  ["analysis"],
  ["platform"],
  ["allocators"],
  ["targets"],
  ["setup"],
  ["measure"],
  ["run", "hardening", "doctor"],
  ["report", "export"],
  ["commands", "cli.ts"],
];

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const pathOf = (entry) => (entry.endsWith(".ts") ? `^src/${escape(entry)}$` : `^src/${entry}/`);
const anyOf = (entries) => `(${entries.map(pathOf).join("|")})`;

const upward = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `layer-${layer[0]}`,
  comment: `${layer.join(", ")} must not import a higher layer (${LAYERS.slice(i + 1)
    .flat()
    .join(", ")})`,
  severity: "error",
  from: { path: anyOf(layer) },
  to: { path: anyOf(LAYERS.slice(i + 1).flat()) },
}));

const siblings = LAYERS.flatMap((layer) =>
  layer
    .filter((entry) => !entry.endsWith(".ts"))
    .map((entry) => ({
      name: `sibling-${entry}`,
      comment: `${entry}/ must not import another folder of its own layer`,
      severity: "error",
      from: { path: pathOf(entry) },
      to: { path: anyOf(layer.filter((other) => other !== entry && !other.endsWith(".ts"))) },
    }))
    .filter((rule) => rule.to.path !== "()"),
);

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    ...upward,
    ...siblings,
    {
      name: "in-a-layer",
      comment: "every folder and file of src/ is in LAYERS above, so the layer rules see it",
      severity: "error",
      from: { path: "^src/", pathNot: anyOf(LAYERS.flat()) },
      to: {},
    },
    {
      name: "no-circular",
      comment: "no import cycles between files",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "not-to-test",
      comment: "only tests import test/ (shared test and perf helpers live in testkit/)",
      severity: "error",
      from: { pathNot: "^test/" },
      to: { path: "^test/" },
    },
    {
      name: "src-stands-alone",
      comment: "src/ is what ships: it imports no test, perf or testkit code",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^(test|perf|testkit)/" },
    },
    {
      name: "no-orphans",
      comment: "a module nothing imports is dead (entry points and workers excepted)",
      severity: "error",
      from: {
        orphan: true,
        path: "^src/",
        pathNot: ["^src/cli\\.ts$", "^src/report/render-worker\\.ts$"],
      },
      to: {},
    },
    {
      name: "not-to-unresolvable",
      comment: "an import that resolves to nothing",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(node_modules|dist|\\.build)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".js", ".json"],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
