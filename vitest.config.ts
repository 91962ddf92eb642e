import { configDefaults, defineConfig } from "vitest/config";

/** Tests that need the shared Kubernetes control plane (started once by kube-global-setup). */
const KUBE_TESTS = "test/integration/kube/**/*.test.ts";
/** The fault suite (`npm run test:faults`): the built controller under kills and faults; its kube part runs in the kube project. */
const FAULT_TESTS = "test/faults/**/*.test.ts";
const KUBE_FAULT_TESTS = "test/faults/kube/**/*.test.ts";

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
          exclude: [...configDefaults.exclude, KUBE_TESTS, FAULT_TESTS],
        },
      },
      {
        extends: true,
        test: {
          name: "kube",
          include: [KUBE_TESTS, KUBE_FAULT_TESTS],
          // The kube fault scenario shares this project's cluster, and the fault suite's seed and figures.
          globalSetup: ["test/helpers/kube-global-setup.ts", "test/faults/global-setup.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "faults",
          include: [FAULT_TESTS],
          exclude: [...configDefaults.exclude, KUBE_FAULT_TESTS],
          globalSetup: ["test/faults/global-setup.ts"],
          testTimeout: 300_000,
        },
      },
    ],
  },
});
