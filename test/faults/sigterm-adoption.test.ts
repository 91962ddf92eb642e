/**
 * Fault: SIGTERM of the controller with runs in flight. Some runs end while it is down, the others
 * are still going when it starts again. Required: every run adopted (none started twice, none cut
 * short) and every outcome recorded as it really was, never `unknown`.
 */
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigRepo } from "../helpers/config-repo.js";
import { pollUntil, startControllerProcess } from "./controller-process.js";
import {
  compareOutcomes,
  faultConfiguration,
  readMarks,
  sessionFiles,
  type FaultSession,
} from "./fault-sessions.js";
import { startScenario } from "./scenario.js";
import { sessionHistories, tipRecords } from "./status-history.js";

const SHORT = 4;
const LONG = 4;

const scenario = startScenario("sigterm");
afterAll(() => scenario.cleanup());

describe("SIGTERM with runs in flight, then a restart", () => {
  it("adopts every run and records every real outcome", async () => {
    const { random, dir } = scenario;
    const marks = join(dir, "marks");
    const repo = new ConfigRepo(join(dir, "config"));
    const sessions: FaultSession[] = [
      ...Array.from({ length: SHORT }, (_, i) => ({
        name: `short-${i}`,
        fail: random.chance(0.5),
        sleepSeconds: 4,
      })),
      ...Array.from({ length: LONG }, (_, i) => ({
        name: `long-${i}`,
        fail: random.chance(0.5),
        sleepSeconds: 12,
      })),
    ];
    repo.commit({ "configurations/fault.yaml": faultConfiguration(dir, marks), ...sessionFiles(sessions) });
    const start = () =>
      startControllerProcess({
        repo: repo.path,
        dataDir: join(dir, "data"),
        args: ["--max-concurrent", "8"],
      });
    const names = sessions.map((s) => s.name);
    const gitDir = join(repo.path, ".git");

    const first = start();
    const allStarted = await pollUntil(() => names.every((n) => readMarks(marks, n).starts > 0), {
      timeoutMs: 120_000,
    });
    const inFlight = names.filter((n) => readMarks(marks, n).results.length === 0).length;
    if (inFlight === 0)
      scenario.notes.push("no run was in flight at SIGTERM: the machine was too slow to start them together");
    const stopped = await first.stop("SIGTERM");
    const endedWhileDown = await pollUntil(
      () =>
        sessions
          .filter((s) => s.sleepSeconds === 4)
          .every((s) => readMarks(marks, s.name).results.length > 0),
      { timeoutMs: 60_000 },
    );
    const stillRunning = names.filter((n) => readMarks(marks, n).results.length === 0).length;

    const second = start();
    const finished = await pollUntil(
      () =>
        [...tipRecords(gitDir, { sessions: names }).values()].every(
          (r) => r?.status.session.status === "complete",
        ),
      { timeoutMs: 120_000, everyMs: 500 },
    );
    const crashed = second.end() !== null;
    await second.stop("SIGTERM");

    const outcomes = compareOutcomes({ marks, sessions, records: tipRecords(gitDir, { sessions: names }) });
    const histories = [...sessionHistories(gitDir, { sessions: names }).values()];
    if (!allStarted) scenario.notes.push("not every run had started before SIGTERM");
    if (!endedWhileDown) scenario.notes.push("the short runs did not end while the controller was down");
    if (!finished) scenario.notes.push("not every session completed after the restart");
    scenario.notes.push(...outcomes.mismatches);
    const unmet = scenario.report([
      { name: "runs in flight at SIGTERM", value: inFlight },
      { name: "runs that ended while the controller was down", value: inFlight - stillRunning },
      { name: "runs still going at the restart", value: stillRunning },
      { name: "exit code after SIGTERM", value: stopped.code ?? String(stopped.signal), required: 0 },
      { name: "controller crashes (exited by itself)", value: crashed ? 1 : 0, required: 0 },
      { name: "duplicate runs", value: outcomes.duplicateRuns, required: 0 },
      { name: "runs cut short (not adopted)", value: outcomes.runsCutShort, required: 0 },
      { name: "outcomes recorded unknown", value: outcomes.unknownOutcomes, required: 0 },
      { name: "recorded outcome differs from the real one", value: outcomes.outcomeMismatches, required: 0 },
      { name: "sessions not complete", value: outcomes.notComplete, required: 0 },
      { name: "backward transitions", value: histories.reduce((n, h) => n + h.backward, 0), required: 0 },
    ]);
    expect(unmet, scenario.notes.join("\n")).toEqual([]);
  });
});
