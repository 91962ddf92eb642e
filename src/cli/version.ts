/** The version `cfs-gitops --version` prints (package.json's; test/e2e/package.test.ts checks both). */
export const VERSION = "0.1.0";
