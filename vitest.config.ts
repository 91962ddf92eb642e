import { configDefaults, defineConfig } from "vitest/config";

/** Tests that need the shared Kubernetes control plane (started once by kube-global-setup). */
const KUBE_TESTS = "test/integration/kube/**/*.test.ts";

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // The second lists, after the summary, the tests skipped with a reason (a missing reference spec).
    reporters: ["default", "./test/helpers/skip-reasons-reporter.ts"],
    projects: [
      {
        extends: true,
        test: {
          name: "main",
          include: ["test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, KUBE_TESTS],
        },
      },
      {
        extends: true,
        test: { name: "kube", include: [KUBE_TESTS], globalSetup: ["test/helpers/kube-global-setup.ts"] },
      },
    ],
  },
});
