/**
 * Only unfinished sessions hold a configuration back (issue 14, item 5): `configurations update`
 * and `diff` accept a change that drops a layer named in the `configuration.limit` of completed and
 * expired sessions (their records keep what they ran); pending ones still refuse it, in one
 * readable line that names a few files and counts the rest.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expiredPath, sessionRecordPath } from "../../../src/api/index.js";
import { hashBlob } from "../../../src/git/fast-import.js";
import { SITE_CONFIG, sessionManifest, sessionRecord, startCliRepo, type CliRepo } from "./cli-harness.js";

const limited = (name: string, layer: string): string =>
  sessionManifest(name).replace("  name: site\n", `  name: site\n  limit: ${layer}\n`);

const BASE =
  "name=base,clone_url=https://git.example.org/site/base.git,commit=aaaa111111111111111111111111111111111111,playbook=site.yml";
const OTHER =
  "name=other,clone_url=https://git.example.org/site/other.git,commit=cccc333333333333333333333333333333333333,playbook=site.yml";

const LONE_SESSION = sessionManifest("old-lone").replace("  name: site\n", "  name: lone\n");
const DONE = ["done-1", "done-2", "done-3", "done-4"];
const EXPIRED = ["gone-1", "gone-2", "gone-3"];
const PENDING = ["wait-1", "wait-2", "wait-3", "wait-4", "wait-5", "wait-6"];

let repo: CliRepo;

beforeAll(async () => {
  repo = await startCliRepo({
    ...Object.fromEntries(
      [...DONE, ...EXPIRED].map((name) => [`sessions/${name}.yaml`, limited(name, "app")]),
    ),
    "configurations/lone.yaml": SITE_CONFIG.replace("name: site", "name: lone"),
    "sessions/old-lone.yaml": LONE_SESSION,
  });
  const status: Record<string, unknown> = {};
  for (const name of DONE) {
    status[sessionRecordPath(name)] = sessionRecord({
      name,
      status: "complete",
      completion: "2026-11-20T12:00:00Z",
      text: limited(name, "app"),
    });
  }
  const expired: Array<[string, string]> = [
    ...EXPIRED.map((name): [string, string] => [name, limited(name, "app")]),
    ["old-lone", LONE_SESSION],
  ];
  for (const [name, text] of expired) {
    const blob = hashBlob(Buffer.from(text));
    status[expiredPath(name)] = {
      name,
      path: `sessions/${name}.yaml`,
      blob,
      expired_at: "2026-11-20T12:00:00Z",
    };
  }
  await repo.writeStatus(status);
});

afterAll(async () => {
  await repo.close();
});

describe("completed and expired sessions", () => {
  it("do not hold back a change that drops the layer their limit names (diff, configurations update)", async () => {
    const withoutApp = SITE_CONFIG.slice(0, SITE_CONFIG.indexOf("  - name: app"));
    await repo.push({ "configurations/site.yaml": withoutApp }, { branch: "drop-app" });
    const preview = await repo.run(["diff", "--pr", "drop-app"]);
    expect(preview.stdout).not.toMatch(/done-|gone-/);
    expect(preview.code).toBe(0);

    await repo.push({ "sessions/ok.yaml": limited("ok", "base") }, { message: "a pending session on base" });
    const result = await repo.run(["configurations", "update", "site", "--layer", BASE]);
    expect(result.stderr).toMatch(/^pushed [0-9a-f]{12} to main: Update configuration site\n$/);
    expect(result.code).toBe(0);
    expect(await repo.git(["show", "main:configurations/site.yaml"])).not.toContain("name: app");
  });

  it("are not counted as users of a configuration being deleted", async () => {
    const result = await repo.run(["configurations", "delete", "lone"]);
    expect(result.stderr).toContain("note: finished sessions old-lone still name lone");
    expect(result.code).toBe(0);
    expect(await repo.git(["ls-tree", "--name-only", "main", "configurations/"])).not.toContain("lone");
  });
});

describe("unfinished sessions", () => {
  it("refuse the change, in one line naming a few files and counting the others", async () => {
    await repo.push(
      Object.fromEntries(PENDING.map((name) => [`sessions/${name}.yaml`, limited(name, "base")])),
      { message: "six sessions limited to base" },
    );
    const result = await repo.run(["configurations", "update", "site", "--layer", OTHER]);
    expect(result.code).toBe(2);
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^cfs-gitops: configuration site would be invalid: sessions\/ok\.yaml:\d+:\d+: configuration\.limit: no layer with name "base"/,
    );
    expect(lines[0]).toMatch(
      /; and 6 more problems in sessions\/wait-1\.yaml, sessions\/wait-2\.yaml, sessions\/wait-3\.yaml and 3 more \(cfs-gitops validate lists them all\)$/,
    );
    expect(lines[0]).not.toContain("wait-6");
    expect(lines[0]).not.toMatch(/done-|gone-/);
  });
});
