/**
 * Fault: the remote git server (real `git http-backend` over HTTP with basic auth) goes down for a
 * while mid-run: its port refuses connections while runs end and new sessions are pushed. Required:
 * `/readyz` says not ready while it is down and ready after, the controller keeps running, and once
 * the server is back every session completes with its real outcome, none lost, none run twice.
 */
import { request } from "node:http";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigRepo, git } from "../helpers/config-repo.js";
import { startGitHttpServer } from "../helpers/git-http-server.js";
import { startTcpGate } from "../helpers/tcp-gate.js";
import { pollUntil, sleep, startControllerProcess } from "./controller-process.js";
import {
  compareOutcomes,
  faultConfiguration,
  readMarks,
  sessionFiles,
  type FaultSession,
} from "./fault-sessions.js";
import { startScenario } from "./scenario.js";
import { sessionHistories, tipRecords } from "./status-history.js";

const CREDENTIALS = { username: "cfs-bot", password: "fault-Git-Pa55word" };
const DOWN_MS = 8_000;

const scenario = startScenario("git-down");
afterAll(() => scenario.cleanup());

/** The status code of GET /readyz, or 0 when the server does not answer. */
function readyz(port: number): Promise<number> {
  return new Promise((done) => {
    const req = request({ host: "127.0.0.1", port, path: "/readyz", timeout: 5_000 }, (res) => {
      res.resume();
      done(res.statusCode ?? 0);
    });
    req.on("error", () => done(0));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

describe("the remote git server down for a while mid-run", () => {
  it("reports not ready while it is down, recovers after, and loses nothing", async () => {
    const { random, dir } = scenario;
    const marks = join(dir, "marks");
    const served = join(dir, "served");
    const bare = join(served, "config.git");
    git(dir, ["init", "-q", "--bare", "-b", "main", bare]);
    const server = await startGitHttpServer({ root: served, auth: CREDENTIALS });
    const gate = await startTcpGate({ target: Number(new URL(server.url("x")).port) });
    const work = new ConfigRepo(join(dir, "work"));
    const push = () => git(work.path, ["push", "-q", bare, "main"]);
    const make = (prefix: string): FaultSession[] =>
      Array.from({ length: 4 }, (_, i) => ({
        name: `${prefix}-${i}`,
        fail: random.chance(0.3),
        sleepSeconds: 3,
      }));
    const before = make("before");
    const during = make("during");
    const sessions = [...before, ...during];
    const names = sessions.map((s) => s.name);
    work.commit({ "configurations/fault.yaml": faultConfiguration(dir, marks), ...sessionFiles(before) });
    push();

    const controller = startControllerProcess({
      repo: `http://127.0.0.1:${gate.port}/config.git`,
      dataDir: join(dir, "data"),
      args: ["--poll-interval", "1s", "--listen", "127.0.0.1:0", "--max-concurrent", "8"],
      env: { CFS_GITOPS_GIT_USERNAME: CREDENTIALS.username, CFS_GITOPS_GIT_PASSWORD: CREDENTIALS.password },
    });
    try {
      const port = await controller.listenPort();
      const readyBefore = await pollUntil(async () => (await readyz(port)) === 200, { timeoutMs: 60_000 });
      const started = await pollUntil(() => before.every((s) => readMarks(marks, s.name).starts > 0), {
        timeoutMs: 90_000,
      });

      await gate.down();
      const downAt = Date.now();
      work.commit(sessionFiles(during), "sessions pushed while the server is down");
      push();
      const notReady = await pollUntil(async () => (await readyz(port)) === 503, { timeoutMs: 30_000 });
      const notReadyAfterMs = Date.now() - downAt;
      await sleep(Math.max(0, DOWN_MS - (Date.now() - downAt)));
      const endedWhileDown = before.filter((s) => readMarks(marks, s.name).results.length > 0).length;
      await gate.up();
      const upAt = Date.now();
      const readyAfter = await pollUntil(async () => (await readyz(port)) === 200, { timeoutMs: 60_000 });
      const readyAfterMs = Date.now() - upAt;
      const finished = await pollUntil(
        () =>
          [...tipRecords(bare, { sessions: names }).values()].every(
            (r) => r?.status.session.status === "complete",
          ),
        { timeoutMs: 120_000, everyMs: 500 },
      );
      const crashed = controller.end() !== null;

      const outcomes = compareOutcomes({ marks, sessions, records: tipRecords(bare, { sessions: names }) });
      const histories = [...sessionHistories(bare, { sessions: names }).values()];
      if (!started) scenario.notes.push("the first sessions had not started when the server went down");
      if (!finished) scenario.notes.push("not every session completed after the server came back");
      scenario.notes.push(...outcomes.mismatches);
      const unmet = scenario.report([
        { name: "sessions", value: sessions.length },
        { name: "server down (s)", value: DOWN_MS / 1000 },
        { name: "ready before the outage", value: readyBefore, required: true },
        { name: "runs that ended while it was down", value: endedWhileDown },
        { name: "/readyz not ready while down", value: notReady, required: true },
        { name: "outage to not ready (ms)", value: notReady ? notReadyAfterMs : "never" },
        { name: "/readyz ready again after", value: readyAfter, required: true },
        { name: "server back to ready (ms)", value: readyAfter ? readyAfterMs : "never" },
        { name: "controller crashes (exited by itself)", value: crashed ? 1 : 0, required: 0 },
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
      await gate.close();
      await server.close();
    }
  });
});
