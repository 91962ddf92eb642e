/**
 * Fault: `kill -9` of the controller at seeded random moments while 50 sessions arrive and run
 * (real git, real ansible), started again after each kill. Required: no session ran twice, no
 * transition lost or moved backward on cfs-status, every recorded outcome is the real one.
 */
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigRepo } from "../helpers/config-repo.js";
import { pollUntil, sleep, startControllerProcess, type ControllerProcess } from "./controller-process.js";
import {
  compareOutcomes,
  faultConfiguration,
  readMarks,
  sessionFiles,
  type FaultSession,
} from "./fault-sessions.js";
import { startScenario } from "./scenario.js";
import { commitCount, sessionHistories, tipRecords } from "./status-history.js";

const SESSIONS = 50;
const KILLS = 12;
const BATCHES = 5;
const FINISH_TIMEOUT_MS = 180_000;

const scenario = startScenario("kill-9");

function totalStarts(marks: string, sessions: readonly FaultSession[]): number {
  return sessions.reduce((n, s) => n + readMarks(marks, s.name).starts, 0);
}
afterAll(() => scenario.cleanup());

describe("kill -9 of the controller at random moments", () => {
  it("runs each of 50 sessions once, loses no transition and records every real outcome", async () => {
    const { random, dir } = scenario;
    const marks = join(dir, "marks");
    const repo = new ConfigRepo(join(dir, "config"));
    repo.commit({ "configurations/fault.yaml": faultConfiguration(dir, marks) });
    const sessions: FaultSession[] = Array.from({ length: SESSIONS }, (_, i) => ({
      name: `k-${String(i).padStart(2, "0")}`,
      fail: random.chance(0.3),
      sleepSeconds: random.between(2, 8) / 10,
    }));
    const start = () =>
      startControllerProcess({
        repo: repo.path,
        dataDir: join(dir, "data"),
        args: ["--max-concurrent", "6"],
        logLevel: "warn",
      });

    // Sessions arrive in batches while the controller is killed and started again.
    const batches = Array.from({ length: BATCHES }, (_, b) => sessions.filter((_, i) => i % BATCHES === b));
    let crashes = 0;
    let killsMidRun = 0;
    for (let kill = 0; kill < KILLS; kill += 1) {
      const batch = batches[kill];
      if (batch !== undefined) repo.commit(sessionFiles(batch), `add batch ${kill}`);
      const startsBefore = totalStarts(marks, sessions);
      const controller = start();
      // Most kills land while runs are in flight (after a new start mark), the others anywhere.
      if (random.chance(0.75)) {
        const ran = await pollUntil(() => totalStarts(marks, sessions) > startsBefore, {
          timeoutMs: 20_000,
          everyMs: 50,
        });
        if (ran) killsMidRun += 1;
        await sleep(random.between(0, 1500));
      } else await sleep(random.between(200, 3000));
      if (controller.end() !== null) crashes += 1;
      await controller.stop("SIGKILL");
    }
    const last: ControllerProcess = start();
    const gitDir = join(repo.path, ".git");
    const names = sessions.map((s) => s.name);
    const allComplete = () =>
      [...tipRecords(gitDir, { sessions: names }).values()].every(
        (r) => r?.status.session.status === "complete",
      );
    const finished = await pollUntil(allComplete, { timeoutMs: FINISH_TIMEOUT_MS, everyMs: 1000 });
    if (last.end() !== null) crashes += 1;
    const end = await last.stop("SIGTERM");

    const outcomes = compareOutcomes({ marks, sessions, records: tipRecords(gitDir, { sessions: names }) });
    const histories = [...sessionHistories(gitDir, { sessions: names }).values()];
    const backward = histories.reduce((n, h) => n + h.backward, 0);
    const vanished = histories.reduce((n, h) => n + h.vanished, 0);
    if (!finished) scenario.notes.push(`not every session completed within ${FINISH_TIMEOUT_MS / 1000} s`);
    scenario.notes.push(...outcomes.mismatches);
    const unmet = scenario.report([
      { name: "sessions", value: SESSIONS },
      { name: "kill -9s", value: KILLS },
      { name: "kill -9s after a run had started", value: killsMidRun },
      { name: "sessions failing on purpose", value: sessions.filter((s) => s.fail).length },
      { name: "status commits", value: commitCount(gitDir) },
      { name: "controller crashes (exited by itself)", value: crashes, required: 0 },
      { name: "duplicate runs", value: outcomes.duplicateRuns, required: 0 },
      {
        name: "lost transitions (not complete, or record vanished)",
        value: outcomes.notComplete + vanished,
        required: 0,
      },
      { name: "backward transitions", value: backward, required: 0 },
      { name: "recorded outcome differs from the real one", value: outcomes.outcomeMismatches, required: 0 },
      { name: "outcomes recorded unknown", value: outcomes.unknownOutcomes },
      { name: "runs cut short (started, never finished)", value: outcomes.runsCutShort, required: 0 },
      { name: "exit code after SIGTERM", value: end.code ?? String(end.signal), required: 0 },
    ]);
    expect(unmet, scenario.notes.join("\n")).toEqual([]);
  });
});
