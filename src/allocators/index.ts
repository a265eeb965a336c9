/** The allocator layer's public surface. */
export * from "./types.js";
export * from "./elf.js";
export * from "./validate.js";
export * from "./catalog.js";
export * from "./discover.js";
export * from "./select.js";
export * from "./packages.js";
export * from "./resolve.js";
