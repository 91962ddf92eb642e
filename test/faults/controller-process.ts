/**
 * The real controller as a child process (`node dist/src/cli/main.js controller ...`), so a
 * scenario can kill it with SIGKILL or SIGTERM at any moment. Its JSON log lines are kept for the
 * secrets scan and to find the port `--listen 127.0.0.1:0` bound.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";

const CLI = resolve("dist/src/cli/main.js");

/** How a controller process ended. */
export interface ProcessEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A started controller. */
export interface ControllerProcess {
  readonly child: ChildProcess;
  /** Every line it wrote to stderr and stdout so far. */
  readonly lines: string[];
  /** Settles when the process has exited. */
  readonly ended: Promise<ProcessEnd>;
  /** The end, or null while it runs. */
  end(): ProcessEnd | null;
  /** Sends `signal` and waits for the exit (SIGKILL after `graceMs` if it does not exit). */
  stop(signal: NodeJS.Signals, graceMs?: number): Promise<ProcessEnd>;
  /** The port of its HTTP server (from the "http server listening" log line), waiting for it. */
  listenPort(timeoutMs?: number): Promise<number>;
}

/** Options of startControllerProcess. */
export interface StartControllerOptions {
  repo: string;
  dataDir: string;
  /** More flags (`--listen`, `--poll-interval`, ...). */
  args?: string[];
  /** Variables added to the test's environment (credentials, secrets). */
  env?: Record<string, string>;
  logLevel?: string;
}

/** Starts `cfs-gitops controller` on `repo`. */
export function startControllerProcess(options: StartControllerOptions): ControllerProcess {
  if (!existsSync(CLI))
    throw new Error(`${CLI} is missing: run \`npm run build\` first (npm run test:faults does)`);
  const argv = [
    CLI,
    "controller",
    "--repo",
    options.repo,
    "--data-dir",
    options.dataDir,
    "--log-level",
    options.logLevel ?? "info",
    ...(options.args ?? []),
  ];
  const child = spawn(process.execPath, argv, {
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const collect = (chunk: Buffer) =>
    lines.push(
      ...chunk
        .toString("utf8")
        .split("\n")
        .filter((l) => l !== ""),
    );
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  let end: ProcessEnd | null = null;
  const ended = new Promise<ProcessEnd>((done) => {
    child.once("exit", (code, signal) => {
      end = { code, signal };
      done(end);
    });
  });
  return {
    child,
    lines,
    ended,
    end: () => end,
    stop: (signal, graceMs = 20_000) => stopProcess({ child, ended, signal, graceMs }),
    listenPort: (timeoutMs = 30_000) => waitForListenPort(lines, timeoutMs),
  };
}

async function stopProcess(input: {
  child: ChildProcess;
  ended: Promise<ProcessEnd>;
  signal: NodeJS.Signals;
  graceMs: number;
}): Promise<ProcessEnd> {
  if (input.child.exitCode === null && input.child.signalCode === null) input.child.kill(input.signal);
  const timer = setTimeout(() => input.child.kill("SIGKILL"), input.graceMs);
  try {
    return await input.ended;
  } finally {
    clearTimeout(timer);
  }
}

async function waitForListenPort(lines: readonly string[], timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const line of lines) {
      const match = /"listen":"[^"]*:(\d+)"/.exec(line);
      if (match?.[1] !== undefined && line.includes("http server listening")) return Number(match[1]);
    }
    await sleep(50);
  }
  throw new Error(
    `the controller did not say where it listens within ${timeoutMs} ms:\n${lines.slice(-10).join("\n")}`,
  );
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** Polls `check` every `everyMs` until it returns true; false when `timeoutMs` passed first. */
export async function pollUntil(
  check: () => boolean | Promise<boolean>,
  input: { timeoutMs: number; everyMs?: number },
): Promise<boolean> {
  const deadline = Date.now() + input.timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(input.everyMs ?? 200);
  }
}
