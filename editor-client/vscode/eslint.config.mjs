// ESLint 9 flat config for the extension: typescript-eslint's type-aware
// recommended rules on src/ and test/ (TypeScript), the plain recommended
// rules on the .mjs build and test scripts. `npm run lint` runs it; so does
// the "node" stage of scripts/test-vscode.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "out/", "dist/", ".cache/", "media/"] },
  js.configs.recommended,
  // a `let` read by a closure before its one assignment cannot be a `const`
  { rules: { "prefer-const": ["error", { ignoreReadBeforeAssign: true }] } },
  {
    files: ["**/*.ts"],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    // node:test's test()/describe() return promises the runner itself awaits
    files: ["test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-floating-promises": ["error", {
        allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["test", "describe", "it", "before", "after", "beforeEach", "afterEach"] }],
      }],
    },
  },
  {
    // the webview, and the callbacks the webview test evaluates inside the page
    files: ["src/webview/**/*.ts", "test/webview/**/*.mjs"],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ["src/**/*.ts", "test/**/*.ts", "**/*.mjs"],
    ignores: ["src/webview/**"],
    languageOptions: { globals: globals.node },
  },
);
