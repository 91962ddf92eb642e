/**
 * `sessions release` of a session that waits in its Job's ansible container (kubernetes runner,
 * debug_on_failure): the record's status.debug names the `kubectl exec` that ends the wait, and the
 * command prints it (it does not exec into pods itself). Real git over HTTP, the CLI in process.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionRecordPath } from "../../../src/api/index.js";
import { debugReleaseCommand } from "../../../src/jobs/index.js";
import { sessionManifest, sessionRecord, startCliRepo, type CliRepo } from "./cli-harness.js";

const RELEASE = debugReleaseCommand({
  namespace: "services",
  pod: "cfs-held-abc12-xyz",
  container: "ansible",
});

let repo: CliRepo;

beforeAll(async () => {
  repo = await startCliRepo({ "sessions/held.yaml": sessionManifest("held") });
  const held = sessionRecord({ name: "held", status: "running", start: "2026-11-21T11:00:00Z" });
  held.status.debug = { work_dir: "/cfs/work", until: "2026-11-21T12:00:00Z", release: RELEASE };
  await repo.writeStatus({ [sessionRecordPath("held")]: held });
});

afterAll(async () => {
  await repo.close();
});

describe("sessions release on the kubernetes runner", () => {
  it("prints the kubectl exec that ends the wait, instead of looking for a local work directory", async () => {
    const result = await repo.run(["sessions", "release", "held"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      "session held waits in its Job's ansible container; end the wait with:\n" +
        "  kubectl exec -n services cfs-held-abc12-xyz -c ansible -- touch /tmp/complete\n",
    );
  });
});
