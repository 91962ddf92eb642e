/**
 * Fault: another writer pushes to cfs-status while the controller does (over HTTP, compare-and-swap
 * pushes racing), and sessions arrive on the watched branch in rapid commits, one session each.
 * Required: no lost update on either side: every foreign commit's file is still on the branch tip,
 * every session completes once, no record moves backward.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigRepo, git } from "../helpers/config-repo.js";
import { startGitHttpServer } from "../helpers/git-http-server.js";
import { pollUntil, sleep, startControllerProcess } from "./controller-process.js";
import { compareOutcomes, faultConfiguration, sessionFiles, type FaultSession } from "./fault-sessions.js";
import { startScenario } from "./scenario.js";
import { hasBranch, readObjects, sessionHistories, tipRecords } from "./status-history.js";

const exec = promisify(execFile);
const CREDENTIALS = { username: "cfs-bot", password: "fault-Writers-Pa55" };
const SESSIONS = 16;
const FOREIGN_WRITES = 16;

const scenario = startScenario("concurrent-writers");
afterAll(() => scenario.cleanup());

async function gitAsync(cwd: string, args: string[]): Promise<string> {
  const identity = ["-c", "user.name=Other Writer", "-c", "user.email=other@example.org"];
  const { stdout } = await exec("git", [...identity, ...args], { cwd });
  return stdout.trim();
}

/** Commits `foreign/<i>.txt` on top of the remote's cfs-status and pushes, again until the push lands. */
async function foreignWrite(clone: string, i: number): Promise<number> {
  for (let attempt = 1; attempt <= 50; attempt += 1) {
    await gitAsync(clone, ["fetch", "-q", "origin", "cfs-status"]);
    await gitAsync(clone, ["checkout", "-q", "-B", "cfs-status", "FETCH_HEAD"]);
    await gitAsync(clone, ["commit", "-q", "--allow-empty", "-m", `foreign write ${i}`]);
    const blob = await gitAsync(clone, ["rev-parse", "HEAD"]);
    await exec("sh", ["-c", `mkdir -p foreign && echo ${blob} > foreign/${i}.txt`], { cwd: clone });
    await gitAsync(clone, ["add", "foreign"]);
    await gitAsync(clone, ["commit", "-q", "--amend", "--no-edit"]);
    try {
      await gitAsync(clone, ["push", "-q", "origin", "cfs-status"]);
      return attempt - 1;
    } catch {
      continue;
    }
  }
  throw new Error(`foreign write ${i} never landed`);
}

describe("concurrent writers on the status branch and rapid commits on the watched branch", () => {
  it("loses no update", async () => {
    const { random, dir } = scenario;
    const marks = join(dir, "marks");
    const served = join(dir, "served");
    const bare = join(served, "config.git");
    git(dir, ["init", "-q", "--bare", "-b", "main", bare]);
    const server = await startGitHttpServer({ root: served, auth: CREDENTIALS });
    const work = new ConfigRepo(join(dir, "work"));
    const sessions: FaultSession[] = Array.from({ length: SESSIONS }, (_, i) => ({
      name: `w-${String(i).padStart(2, "0")}`,
      fail: random.chance(0.25),
      sleepSeconds: 0.2,
    }));
    const names = sessions.map((s) => s.name);
    const first = sessions.slice(0, 2);
    work.commit({ "configurations/fault.yaml": faultConfiguration(dir, marks), ...sessionFiles(first) });
    git(work.path, ["push", "-q", bare, "main"]);
    const controller = startControllerProcess({
      repo: server.url("config.git"),
      dataDir: join(dir, "data"),
      args: ["--poll-interval", "1s", "--max-concurrent", "4"],
      env: { CFS_GITOPS_GIT_USERNAME: CREDENTIALS.username, CFS_GITOPS_GIT_PASSWORD: CREDENTIALS.password },
    });
    try {
      await pollUntil(() => hasBranch(bare, "cfs-status"), { timeoutMs: 60_000 });
      const clone = join(dir, "other");
      git(dir, ["clone", "-q", bare, clone]);

      const rapidCommits = async () => {
        for (const session of sessions.slice(first.length)) {
          work.commit(sessionFiles([session]), `add ${session.name}`);
          await exec("git", ["push", "-q", bare, "main"], { cwd: work.path });
          await sleep(random.between(50, 400));
        }
      };
      const foreignWrites = async () => {
        let retries = 0;
        for (let i = 0; i < FOREIGN_WRITES; i += 1) {
          retries += await foreignWrite(clone, i);
          await sleep(random.between(50, 400));
        }
        return retries;
      };
      const [, foreignRetries] = await Promise.all([rapidCommits(), foreignWrites()]);
      const finished = await pollUntil(
        () =>
          [...tipRecords(bare, { sessions: names }).values()].every(
            (r) => r?.status.session.status === "complete",
          ),
        { timeoutMs: 150_000, everyMs: 500 },
      );
      const crashed = controller.end() !== null;

      const foreignFiles = readObjects(
        bare,
        Array.from({ length: FOREIGN_WRITES }, (_, i) => `refs/heads/cfs-status:foreign/${i}.txt`),
      );
      const foreignLost = foreignFiles.filter((f) => f === null).length;
      const outcomes = compareOutcomes({ marks, sessions, records: tipRecords(bare, { sessions: names }) });
      const histories = [...sessionHistories(bare, { sessions: names }).values()];
      const rebuilds = controller.lines.filter((l) => l.includes("status branch moved")).length;
      if (!finished) scenario.notes.push("not every session completed");
      scenario.notes.push(...outcomes.mismatches);
      const unmet = scenario.report([
        { name: "sessions, one commit each", value: SESSIONS },
        { name: "foreign status commits", value: FOREIGN_WRITES },
        { name: "foreign pushes rejected and retried", value: foreignRetries },
        { name: "controller rebuilds on a moved branch", value: rebuilds },
        { name: "controller crashes (exited by itself)", value: crashed ? 1 : 0, required: 0 },
        { name: "foreign updates lost", value: foreignLost, required: 0 },
        { name: "sessions lost (not complete)", value: outcomes.notComplete, required: 0 },
        { name: "duplicate runs", value: outcomes.duplicateRuns, required: 0 },
        {
          name: "recorded outcome differs from the real one",
          value: outcomes.outcomeMismatches,
          required: 0,
        },
        { name: "backward transitions", value: histories.reduce((n, h) => n + h.backward, 0), required: 0 },
        {
          name: "lost transitions (record vanished)",
          value: histories.reduce((n, h) => n + h.vanished, 0),
          required: 0,
        },
      ]);
      expect(unmet, scenario.notes.join("\n")).toEqual([]);
    } finally {
      await controller.stop("SIGTERM");
      await server.close();
    }
  });
});
