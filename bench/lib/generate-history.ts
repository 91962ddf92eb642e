/**
 * A status branch with a long history, made quickly with one `git fast-import`: `days` days of
 * `sessionsPerDay` sessions, each record committed `commitsPerSession` times (one commit per
 * change: pending, running, steps, complete), records deleted `ttlDays` after their day (the
 * session TTL), then one last commit whose tree is `tip` (the records the controller will read).
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { benchEnv } from "./git.js";

/** Inputs of writeHistory. */
export interface HistoryInput {
  gitDir: string;
  branch: string;
  days: number;
  sessionsPerDay: number;
  commitsPerSession: number;
  ttlDays: number;
  /** A real record: history records are copies of it under their own name. */
  template: Buffer;
  /** Files of the last commit (its whole tree). */
  tip: ReadonlyMap<string, Buffer>;
  /** Seconds since the epoch of the first day. */
  start: number;
}

const AUTHOR = "cfs-gitops <cfs-gitops@example.com>";

/** The name of session `k` of day `day` in the history. */
export function historySessionName(day: number, k: number): string {
  return `hist-d${String(day).padStart(3, "0")}-${String(k).padStart(4, "0")}`;
}

/** Writes the history; returns how many commits it made. */
export async function writeHistory(input: HistoryInput): Promise<number> {
  const child = spawn("git", [`--git-dir=${input.gitDir}`, "fast-import", "--quiet", "--done"], {
    env: benchEnv(),
    stdio: ["pipe", "ignore", "inherit"],
  });
  const exited = once(child, "close");
  let commits = 0;
  const write = async (chunk: string | Buffer): Promise<void> => {
    if (!child.stdin.write(chunk)) await once(child.stdin, "drain");
  };
  const template = JSON.parse(input.template.toString("utf8")) as Record<string, unknown>;
  await write(`reset refs/heads/${input.branch}\n`);
  for (let day = 0; day < input.days; day++) {
    for (const commit of dayCommits({ input, template, day })) {
      await write(commit);
      commits++;
    }
  }
  await write(tipCommit(input, commits));
  await write("done\n");
  child.stdin.end();
  const [code] = (await exited) as [number | null];
  if (code !== 0) throw new Error(`git fast-import exited ${code}`);
  return commits + 1;
}

function* dayCommits(ctx: {
  input: HistoryInput;
  template: Record<string, unknown>;
  day: number;
}): Generator<Buffer> {
  const { input, template, day } = ctx;
  const perDay = input.sessionsPerDay * input.commitsPerSession;
  for (let phase = 0; phase < input.commitsPerSession; phase++) {
    for (let k = 0; k < input.sessionsPerDay; k++) {
      const name = historySessionName(day, k);
      const record = Buffer.from(JSON.stringify({ ...template, name, history_phase: phase }));
      const expired =
        phase === 0 && day >= input.ttlDays
          ? `D sessions/${historySessionName(day - input.ttlDays, k)}.json\n`
          : "";
      const index = day * perDay + phase * input.sessionsPerDay + k;
      const time = input.start + Math.floor((index * 86_400) / perDay);
      yield Buffer.concat([
        header({ ref: input.branch, time, message: `status: ${name} ${phase}` }),
        Buffer.from(`${expired}M 100644 inline sessions/${name}.json\ndata ${record.length}\n`),
        record,
        Buffer.from("\n\n"),
      ]);
    }
  }
}

function header(input: { ref: string; time: number; message: string }): Buffer {
  const who = `${AUTHOR} ${input.time} +0000`;
  const message = Buffer.from(`${input.message}\n`);
  return Buffer.concat([
    Buffer.from(`commit refs/heads/${input.ref}\nauthor ${who}\ncommitter ${who}\ndata ${message.length}\n`),
    message,
  ]);
}

function tipCommit(input: HistoryInput, commits: number): Buffer {
  const time = input.start + input.days * 86_400;
  const parts = [
    header({ ref: input.branch, time, message: `status: after ${commits} commits of history` }),
    Buffer.from("deleteall\n"),
  ];
  for (const [path, data] of input.tip) {
    parts.push(Buffer.from(`M 100644 inline ${path}\ndata ${data.length}\n`), data, Buffer.from("\n"));
  }
  parts.push(Buffer.from("\n"));
  return Buffer.concat(parts);
}
