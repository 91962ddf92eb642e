/**
 * Components end to end on the local runner with real ansible-playbook: desired_config set in a
 * commit, components batched into sessions, each host's per-layer result recorded, and a revert
 * taking them back to the old configuration. Component ids are host names that the layer
 * repository's host_vars/<id>.yml makes local (ansible_connection: local).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ComponentRecord, ConfigurationRecord, SessionRecord } from "../../src/api/index.js";
import type { CliIo } from "../../src/cli/io.js";
import { runCli } from "../../src/cli/run-cli.js";
import { cfsSchemaValidator } from "../integration/cli/cfs-openapi.js";
import { ConfigRepo, git, tempDir } from "../helpers/config-repo.js";
import { referenceSpecPath } from "../helpers/reference-spec.js";
import { startController, type Harness } from "./harness.js";

let dir: { path: string; cleanup: () => void };
let repo: ConfigRepo;
let harness: Harness | null = null;
let marks: string;

beforeEach(() => {
  dir = tempDir("cfs-components-");
  marks = join(dir.path, "marks.txt");
  repo = new ConfigRepo(join(dir.path, "config"));
});

afterEach(async () => {
  await harness?.close();
  harness = null;
  dir.cleanup();
});

const HOSTS = ["n1", "n2", "bad"];

/** A layer repository whose playbook writes `<host> <version>` and fails on host `bad`; returns its commits. */
function layerRepo(): { url: string; one: string; two: string } {
  const work = join(dir.path, "layer-work");
  git(dir.path, ["init", "-q", "-b", "main", work]);
  const commitVersion = (version: string): string => {
    const files: Record<string, string> = {
      "site.yml": [
        "- hosts: all",
        "  gather_facts: false",
        "  tasks:",
        `    - ansible.builtin.shell: echo "{{ inventory_hostname }} ${version}" >> ${marks}`,
        "    - ansible.builtin.fail:",
        "        msg: this host always fails",
        "      when: inventory_hostname == 'bad'",
        "",
      ].join("\n"),
      ...Object.fromEntries(HOSTS.map((h) => [`host_vars/${h}.yml`, "ansible_connection: local\n"])),
    };
    for (const [path, text] of Object.entries(files)) execWrite(join(work, path), text);
    git(work, ["add", "-A"]);
    git(work, ["commit", "-q", "-m", version]);
    return git(work, ["rev-parse", "HEAD"]);
  };
  const one = commitVersion("one");
  const two = commitVersion("two");
  const bare = join(dir.path, "layer.git");
  git(dir.path, ["clone", "-q", "--bare", work, bare]);
  return { url: bare, one, two };
}

function execWrite(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

const configuration = (name: string, url: string, pin: string): string =>
  `apiVersion: cfs-gitops/v1\nkind: Configuration\nname: ${name}\nlayers:\n  - name: site\n    clone_url: ${url}\n    ${pin}\n    playbook: site.yml\n`;
const component = (id: string, extra = ""): string =>
  `apiVersion: cfs-gitops/v1\nkind: Component\nid: ${id}\n${extra}`;
const OPTIONS =
  "apiVersion: cfs-gitops/v1\nkind: Options\nbatch_window: 0\ndefault_batcher_retry_policy: 2\n";

function componentRecord(id: string): ComponentRecord | null {
  const text = repo.statusFile(`components/${id}.json`);
  return text ? (JSON.parse(text) as ComponentRecord) : null;
}

function batcherSessions(): SessionRecord[] {
  const names = git(repo.path, ["ls-tree", "--name-only", "cfs-status", "sessions/"])
    .split("\n")
    .filter((p) => p.startsWith("sessions/batcher-"));
  return names.map((p) => JSON.parse(repo.statusFile(p) ?? "{}") as SessionRecord);
}

function marksOf(): string[] {
  return existsSync(marks) ? readFileSync(marks, "utf8").trim().split("\n").sort() : [];
}

/** Runs passes until `done` holds for the status branch (sessions run between passes). */
async function settle(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    await harness!.controller.pass();
    if (done()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const statusOf = (id: string): string | undefined => componentRecord(id)?.configuration_status;

describe("components and the batcher with the local runner and real ansible-playbook", () => {
  it("batches the components of one desired_config commit and records them configured", async (context) => {
    const layer = layerRepo();
    repo.commit({
      "cfs.yaml": OPTIONS,
      "configurations/v1.yaml": configuration("v1", layer.url, "branch: main"),
      "components/n1.yaml": component("n1"),
      "components/n2.yaml": component("n2", "tags:\n  bos_session: boot-1\n"),
    });
    harness = await startController({ repo: repo.path, dataDir: join(dir.path, "data") });
    await settle(() => statusOf("n1") === "unconfigured" && statusOf("n2") === "unconfigured", "records");
    const configRecord = JSON.parse(repo.statusFile("configurations/v1.json") ?? "{}") as ConfigurationRecord;
    expect(configRecord.layers[0]).toMatchObject({ branch: "main", commit: layer.two });

    const change = repo.commit({
      "components/n1.yaml": component("n1", "desired_config: v1\n"),
      "components/n2.yaml": component("n2", "desired_config: v1\ntags:\n  bos_session: boot-1\n"),
    });
    await settle(() => statusOf("n1") === "configured" && statusOf("n2") === "configured", "configured");

    const [session, ...others] = batcherSessions();
    expect(others).toEqual([]);
    expect(session?.name).toMatch(/^batcher-[0-9a-f]{16}$/);
    expect(session?.ansible.limit).toBe("n1,n2");
    expect(session?.tags).toEqual({ cfs_gitops_automatic: "batcher" });
    expect(session?.status.source).toMatchObject({
      commit: change,
      batch: { components: ["n1", "n2"], configuration: "v1", commits: [layer.two] },
    });
    expect(session?.status.session).toMatchObject({ status: "complete", succeeded: "true" });
    expect(marksOf()).toEqual(["n1 two", "n2 two"]);
    const n1 = componentRecord("n1");
    expect(n1).toMatchObject({ desired_config: "v1", error_count: 0, enabled: true });
    expect(n1?.state).toEqual([
      expect.objectContaining({
        clone_url: layer.url,
        commit: layer.two,
        status: "applied",
        session_name: session?.name,
      }),
    ]);
    // The watched branch is never written: batcher sessions exist only on the status branch.
    expect(git(repo.path, ["ls-tree", "-r", "--name-only", "main"])).not.toContain("batcher-");

    // The CLI reads the same records: sessions list shows the batcher session, components list the status.
    const sessions = await cli(["sessions", "list", "--repo", repo.path, "--format", "json"]);
    expect((JSON.parse(sessions) as { sessions: SessionRecord[] }).sessions.map((s) => s.name)).toEqual([
      session?.name,
    ]);
    const listed = await cli(["components", "list", "--repo", repo.path, "--status", "configured"]);
    expect(listed).toMatch(/n1\s+configured\s+v1/);

    // Last, so that without the spec only this check is skipped (with its reason).
    const spec = referenceSpecPath(context, "cfs");
    const validate = cfsSchemaValidator({ spec, name: "V3ComponentData", patch: relaxDesiredState });
    expect(validate(n1), JSON.stringify(validate.errors)).toBe(true);
    const validateConfig = cfsSchemaValidator({ spec, name: "V3ConfigurationData" });
    expect(validateConfig(configRecord), JSON.stringify(validateConfig.errors)).toBe(true);
  });

  it("fails only the host whose layer fails, after its retries", async () => {
    const layer = layerRepo();
    repo.commit({
      "cfs.yaml": OPTIONS,
      "configurations/v1.yaml": configuration("v1", layer.url, `commit: ${layer.one}`),
      "components/n1.yaml": component("n1", "desired_config: v1\n"),
      "components/bad.yaml": component("bad", "desired_config: v1\n"),
    });
    harness = await startController({ repo: repo.path, dataDir: join(dir.path, "data") });
    await settle(
      () => statusOf("n1") === "configured" && statusOf("bad") === "failed",
      "n1 configured, bad failed",
    );
    expect(componentRecord("bad")).toMatchObject({ error_count: 2, retry_policy: 2 });
    expect(componentRecord("bad")?.state.map((s) => s.status)).toEqual(["failed"]);
    expect(marksOf().filter((m) => m.startsWith("bad"))).toEqual(["bad one", "bad one"]);
    expect(marksOf().filter((m) => m.startsWith("n1"))).toEqual(["n1 one"]);
  });

  it("writes a component record again, and configures it again, when another writer removed it from cfs-status", async () => {
    const layer = layerRepo();
    repo.commit({
      "cfs.yaml": OPTIONS,
      "configurations/v1.yaml": configuration("v1", layer.url, `commit: ${layer.one}`),
      "components/n1.yaml": component("n1", "desired_config: v1\n"),
    });
    harness = await startController({
      repo: repo.path,
      dataDir: join(dir.path, "data"),
      watch: true,
      resyncMs: 200,
    });
    await settle(() => statusOf("n1") === "configured", "n1 configured");
    const before = componentRecord("n1");

    // Someone else's commit on the status branch removes the record (a hand edit, another tool).
    const env = { ...process.env, GIT_INDEX_FILE: join(dir.path, "hand-index") };
    const run = (args: string[]): string =>
      execFileSync("git", args, { cwd: repo.path, env, encoding: "utf8" }).trim();
    const tip = run(["rev-parse", "refs/heads/cfs-status"]);
    run(["read-tree", tip]);
    run(["update-index", "--remove", "--force-remove", "components/n1.json"]);
    const commit = run(["commit-tree", run(["write-tree"]), "-p", tip, "-m", "hand edit"]);
    run(["update-ref", "refs/heads/cfs-status", commit, tip]);
    expect(componentRecord("n1")).toBeNull();

    // Its state went with it: the running controller sees the removal at its resync, writes the
    // record again (pending, no state) and configures the component again.
    await settle(() => componentRecord("n1") !== null, "the record to be written again");
    await settle(() => statusOf("n1") === "configured", "n1 configured again");
    expect(componentRecord("n1")?.state).toEqual([
      expect.objectContaining({ commit: before?.state[0]?.commit, status: "applied" }),
    ]);
    expect(marksOf()).toEqual(["n1 one", "n1 one"]);
  });

  it("takes components back to the old configuration when the desired_config change is reverted", async () => {
    const layer = layerRepo();
    repo.commit({
      "cfs.yaml": OPTIONS,
      "configurations/v1.yaml": configuration("v1", layer.url, `commit: ${layer.one}`),
      "configurations/v2.yaml": configuration("v2", layer.url, `commit: ${layer.two}`),
      "components/n1.yaml": component("n1", "desired_config: v1\n"),
    });
    harness = await startController({ repo: repo.path, dataDir: join(dir.path, "data") });
    await settle(() => statusOf("n1") === "configured", "v1 configured");
    const change = repo.commit({ "components/n1.yaml": component("n1", "desired_config: v2\n") });
    await settle(
      () => componentRecord("n1")?.state[0]?.commit === layer.two && statusOf("n1") === "configured",
      "v2",
    );
    repo.revert(change);
    await harness.controller.pass();
    expect(componentRecord("n1")).toMatchObject({ desired_config: "v1" });
    await settle(
      () => componentRecord("n1")?.state[0]?.commit === layer.one && statusOf("n1") === "configured",
      "v1 again",
    );
    expect(readFileSync(marks, "utf8").trim().split("\n")).toEqual(["n1 one", "n1 two", "n1 one"]);
    const history = repo.statusLog("components/n1.json").length;
    expect(history).toBeGreaterThanOrEqual(6);
  });
});

/** Runs the CLI in-process; returns what it printed (fails on a non-zero exit). */
async function cli(argv: string[]): Promise<string> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: { write: (text) => void (stdout += text) },
    stderr: { write: (text) => void (stderr += text) },
    stdin: null,
    env: {},
    cwd: dir.path,
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
  const code = await runCli(argv, io);
  if (code !== 0) throw new Error(`cfs-gitops ${argv.join(" ")} exited ${code}: ${stderr}`);
  return stdout;
}

/**
 * CFS prints desired_state[] as the configuration's layers each with its layer status
 * (configured/pending/failed/unconfigured) and no session_name or last_updated, although the
 * spec reuses V3ConfigurationStateLayer for it: exactly that item schema is relaxed.
 */
function relaxDesiredState(schemas: Record<string, Record<string, unknown>>): void {
  const component = schemas["V3ComponentData"] as { properties: Record<string, unknown> };
  component.properties["desired_state"] = {
    type: "array",
    items: {
      type: "object",
      additionalProperties: false,
      required: ["clone_url", "playbook", "commit", "status"],
      properties: {
        clone_url: { type: "string" },
        playbook: { type: "string" },
        commit: { type: "string" },
        status: { type: "string", enum: ["unconfigured", "pending", "failed", "configured"] },
      },
    },
  };
}
