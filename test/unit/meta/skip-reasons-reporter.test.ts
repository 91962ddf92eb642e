import type { TestModule } from "vitest/node";
import { describe, expect, it } from "vitest";
import { skipReasons } from "../../helpers/skip-reasons-reporter.js";

type Result = { state: "passed" } | { state: "skipped"; note: string | undefined };

/** The part of vitest's TestModule the reporter reads. */
function module(file: string, results: Result[]): TestModule {
  const tests = results.map((result) => ({ result: () => result }));
  return {
    relativeModuleId: file,
    children: {
      *allTests(state?: string) {
        for (const test of tests) if (state === undefined || test.result().state === state) yield test;
      },
    },
  } as unknown as TestModule;
}

describe("skipReasons", () => {
  it("groups the tests skipped with a reason by reason and file, and leaves out plain skips", () => {
    const cfs = "cfs-openapi.yaml not found: set CFS_OPENAPI_SPEC";
    const ims = "ims-openapi.yaml not found: set IMS_OPENAPI";
    const reasons = skipReasons([
      module("test/a.test.ts", [
        { state: "passed" },
        { state: "skipped", note: cfs },
        { state: "skipped", note: cfs },
        { state: "skipped", note: undefined },
      ]),
      module("test/b.test.ts", [
        { state: "skipped", note: ims },
        { state: "skipped", note: cfs },
      ]),
    ]);
    expect(reasons).toEqual(
      new Map([
        [
          cfs,
          new Map([
            ["test/a.test.ts", 2],
            ["test/b.test.ts", 1],
          ]),
        ],
        [ims, new Map([["test/b.test.ts", 1]])],
      ]),
    );
  });
});
