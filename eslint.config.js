// Lint caps in the spirit of pepr: small functions, shallow nesting, no floating promises.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

// yaml loads on first use (src/manifest/yaml-library.ts), not with every module that may need it.
const YAML_VALUE_IMPORT = {
  name: "yaml",
  allowTypeImports: true,
  message: "use yaml() from src/manifest/yaml-library.ts (loaded on first use: CLI start-up)",
};

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**", "test/kube/**/bin/**", "test/forge/bin/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      complexity: ["error", 12],
      "max-depth": ["error", 3],
      "max-params": ["error", 4],
      "no-console": "off",
    },
  },
  {
    files: ["src/**"],
    rules: { "no-restricted-imports": ["error", { paths: [YAML_VALUE_IMPORT] }] },
  },
  {
    files: ["src/api/**", "src/manifest/**", "src/plan/**", "src/jobs/**"],
    rules: {
      // Pure rooms: no clock, no env, no timers, no network. `now` arrives as data.
      "no-restricted-globals": ["error", "process", "setTimeout", "setInterval", "fetch"],
      "no-restricted-syntax": [
        "error",
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: "pass `now` in",
        },
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: "pass `now` in" },
      ],
      "no-restricted-imports": [
        "error",
        {
          paths: [YAML_VALUE_IMPORT],
          patterns: [
            "node:fs*",
            "node:child_process",
            "node:net",
            "node:http*",
            "pino",
            "../git/*",
            "../runners/*",
            "../controller/*",
            "../cli/*",
          ],
        },
      ],
    },
  },
  {
    files: ["test/**", "bench/**"],
    rules: {
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
      complexity: "off",
      "max-depth": "off",
    },
  },
  { files: ["*.js", "*.config.ts"], ...tseslint.configs.disableTypeChecked },
);
