// @ts-check
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

/** The layers, bottom first. A package may import only the packages before it. */
const layers = [
  ["packages/mapped-file", "@store/mapped-file"],
  ["packages/file-queue", "@store/file-queue"],
  ["packages/flush-services", "@store/flush-services"],
  ["packages/message-codec", "@store/message-codec"],
  ["packages/commitlog", "@store/commitlog"],
  ["packages/broker", "@store/broker"],
  ["packages/proxy", "@store/proxy"],
  ["apps/demo-broker", "demo-broker"],
];

/** Deep imports into another package, or a relative path that leaves the package. */
const internals = [
  {
    group: ["@store/*/src", "@store/*/src/**", "@store/*/dist", "@store/*/dist/**"],
    message: "Import a package through its public entry, not its internals.",
  },
  {
    group: [
      "../../../**",
      ...[
        "mapped-file",
        "file-queue",
        "flush-services",
        "message-codec",
        "commitlog",
        "broker",
        "proxy",
        "demo-broker",
        "bench-kit",
      ].map((name) => `../../${name}/**`),
    ],
    message: "Do not reach into another package by relative path; depend on it by name.",
  },
];

/** Leaf packages: they import no other layer at all (the codec stands alone). */
const leaves = new Set(["@store/message-codec"]);

const layerRules = layers.map(([dir, self], index) => {
  const forbidden = leaves.has(self)
    ? layers.filter(([, name]) => name !== self)
    : layers.slice(index + 1);
  const why = leaves.has(self)
    ? "depends on no other store package"
    : "may not import a higher layer";
  return {
    files: [`${dir}/**/*.ts`],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: forbidden.map(([, name]) => ({ name, message: `${self} ${why}: not ${name}.` })),
          patterns: [
            ...internals,
            ...forbidden.map(([, name]) => ({
              group: [`${name}/*`],
              message: `${self} ${why}: not ${name}.`,
            })),
          ],
        },
      ],
    },
  };
});

export default defineConfig(
  // The codec's example reads a store written by @store/commitlog, a higher layer: the consumer test
  // (scripts/consumer-test.mjs) type-checks and runs it against the packed packages instead.
  {
    ignores: [
      "packages/message-codec/examples/**",
      "**/dist/**",
      "**/dist-bench/**",
      "**/.turbo/**",
      "**/coverage/**",
      "**/node_modules/**",
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
    },
  },
  ...layerRules,
  {
    // Size limits for shipped code (tests and benches may run longer).
    files: ["packages/*/src/**/*.ts", "apps/*/src/**/*.ts"],
    rules: {
      "max-lines": ["error", { max: 600, skipBlankLines: true, skipComments: true }],
      "max-lines-per-function": ["error", { max: 70, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      globals: { process: "readonly", Buffer: "readonly", console: "readonly", URL: "readonly" },
    },
  },
);
