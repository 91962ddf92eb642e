import { describe, expect, it } from "vitest";
import { resolveCloneRetry } from "../../../src/cli/clone-retry-config.js";

describe("resolveCloneRetry", () => {
  it.each<[Record<string, string>, unknown]>([
    [{}, { attempts: 60, delayMs: 10_000, maxDelayMs: 10_000 }],
    [
      { CFS_GITOPS_GIT_RETRY_MAX: "3", CFS_GITOPS_GIT_RETRY_DELAY: "0.5" },
      { attempts: 3, delayMs: 500, maxDelayMs: 500 },
    ],
    [
      { CFS_GITOPS_GIT_RETRY_MAX: "0" },
      { error: "CFS_GITOPS_GIT_RETRY_MAX=0: must be a whole number of at least 1" },
    ],
    [
      { CFS_GITOPS_GIT_RETRY_DELAY: "soon" },
      { error: "CFS_GITOPS_GIT_RETRY_DELAY=soon: must be a number of seconds (0 or more)" },
    ],
  ])("reads %j", (env, expected) => {
    expect(resolveCloneRetry(env)).toEqual(expected);
  });
});
