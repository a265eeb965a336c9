/** The allocator layer's public surface. */
export * from "./types.js";
export * from "./validate.js";
export * from "./catalog.js";
export * from "./discover.js";
export * from "./specs.js";
export * from "./packages.js";
export * from "./resolve.js";
