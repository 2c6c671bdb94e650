// The shared test settings (slow-tag handling): ../../vitest.shared.ts
export { default } from "../../vitest.shared.js";
