import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SessionRecord } from "../../src/api/index.js";
import {
  ConfigRepo,
  configurationYaml,
  makeLayerRepo,
  playbook,
  sessionYaml,
  tempDir,
} from "../helpers/config-repo.js";
import { waitFor } from "./harness.js";

const CLI = resolve("dist/src/cli/main.js");

let dir: { path: string; cleanup: () => void };
let child: ChildProcess | null = null;

beforeEach(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  dir = tempDir("cfs-restart-");
});

afterEach(() => {
  child?.kill("SIGKILL");
  child = null;
  dir.cleanup();
});

function controller(repo: string, extra: string[] = []): ChildProcess {
  return spawn(
    process.execPath,
    [
      CLI,
      "controller",
      "--repo",
      repo,
      "--data-dir",
      join(dir.path, "data"),
      "--log-level",
      "error",
      ...extra,
    ],
    {
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
}

describe("a controller killed mid-session and started again", () => {
  it("ends the cut-short session complete/unknown and never runs it twice", async () => {
    const marks = join(dir.path, "marks.txt");
    const slow = makeLayerRepo(dir.path, "slow", {
      "site.yml": playbook({ file: marks, line: "started", sleep: 30 }),
    });
    const repo = new ConfigRepo(join(dir.path, "config"));
    repo.commit({
      "configurations/slow.yaml": configurationYaml("slow", [{ name: "slow", url: slow }]),
      "sessions/cut.yaml": sessionYaml("cut", "slow"),
    });
    const record = (): SessionRecord | null => {
      const text = repo.statusFile("sessions/cut.json");
      return text ? (JSON.parse(text) as SessionRecord) : null;
    };
    const lines = (): string[] => (existsSync(marks) ? readFileSync(marks, "utf8").trim().split("\n") : []);

    child = controller(repo.path);
    await waitFor(() => lines().length === 1 && record()?.status.session.status === "running", {
      what: "the session to be running",
    });
    child.kill("SIGKILL");
    await new Promise((done) => child?.once("exit", done));

    const again = controller(repo.path, ["--once"]);
    const code = await new Promise<number | null>((done) => again.once("exit", done));
    expect(code).toBe(0);
    const after = record();
    expect(after?.status.session).toMatchObject({ status: "complete", succeeded: "unknown" });
    expect(after?.status.reason).toMatch(/restarted/);
    expect(lines()).toEqual(["started"]);
  });
});
