import { ApiException } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { failureClass, httpFailureClass } from "../../../src/api/index.js";
import { GitAuthError, GitCommandError, GitFetchError, PushRejectedError } from "../../../src/git/errors.js";
import { ImageServiceError } from "../../../src/images/errors.js";
import { BuildJobError } from "../../../src/jobs/errors.js";
import { apiError } from "../../../src/runners/kubernetes/api-errors.js";

const systemError = (code: string): Error => Object.assign(new Error(`connect ${code}`), { code });

describe("failureClass", () => {
  it("reads the class of every room's typed errors", () => {
    expect(failureClass(new GitFetchError("fetch failed"))).toBe("transient");
    expect(failureClass(new PushRejectedError("moved"))).toBe("transient");
    expect(failureClass(new GitAuthError("401"))).toBe("stalling");
    expect(failureClass(new GitCommandError("bad ref"))).toBe("stalling");
    expect(failureClass(new BuildJobError("run-spec-too-large", "too large", {}))).toBe("session");
    expect(failureClass(new ImageServiceError({ code: "timeout", message: "waited" }))).toBe("transient");
    const down = new ImageServiceError({ code: "http", message: "503", data: { transient: true } });
    expect(failureClass(down)).toBe("transient");
    expect(
      failureClass(new ImageServiceError({ code: "http", message: "400", data: { transient: false } })),
    ).toBe("stalling");
    expect(failureClass(new ImageServiceError({ code: "ims-job-error", message: "failed" }))).toBe("session");
  });

  it("classes Kubernetes API failures by their status: none, 408, 429 and 5xx transient, other 4xx stalling", () => {
    const answer = (code: number): unknown => apiError("create Job x", new ApiException(code, "m", "{}", {}));
    expect(failureClass(answer(500))).toBe("transient");
    expect(failureClass(answer(503))).toBe("transient");
    expect(failureClass(answer(429))).toBe("transient");
    expect(failureClass(answer(422))).toBe("stalling");
    expect(failureClass(answer(403))).toBe("stalling");
    expect(failureClass(apiError("create Job x", systemError("ECONNRESET")))).toBe("transient");
  });

  it("classes Node's network errors and timeouts as transient, and anything else as stalling", () => {
    for (const code of ["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EAI_AGAIN"])
      expect(failureClass(systemError(code))).toBe("transient");
    expect(failureClass(new Error("fetch failed", { cause: systemError("ECONNRESET") }))).toBe("transient");
    expect(failureClass(Object.assign(new Error("t"), { name: "TimeoutError" }))).toBe("transient");
    expect(failureClass(new Error("job name cannot name a run directory"))).toBe("stalling");
    expect(failureClass(systemError("ENOENT"))).toBe("stalling");
    expect(failureClass("a string")).toBe("stalling");
  });

  it("maps HTTP statuses", () => {
    expect([null, 408, 429, 500, 502, 400, 401, 404, 409].map(httpFailureClass)).toEqual([
      "transient",
      "transient",
      "transient",
      "transient",
      "transient",
      "stalling",
      "stalling",
      "stalling",
      "stalling",
    ]);
  });
});
