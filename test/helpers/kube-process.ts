/**
 * Child processes of the test control plane: started with their output in a log file, guarded by
 * a watchdog that kills them if the test runner dies without cleaning up (even on SIGKILL), and
 * stopped with SIGTERM then SIGKILL.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { request } from "node:https";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { createServer } from "node:net";

/** A started server process and where its output goes. */
export interface ServerProcess {
  name: string;
  child: ChildProcess;
  logPath: string;
  /** Exit code or signal once it has exited; null while it runs. */
  exited: () => string | null;
  stop: () => Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Starts `binary` with `args`, output appended to `logPath`, killed when this process exits. */
export function startServer(options: {
  name: string;
  binary: string;
  args: string[];
  logPath: string;
}): ServerProcess {
  const fd = openSync(options.logPath, "a");
  const child = spawn(options.binary, options.args, { stdio: ["ignore", fd, fd], env: serverEnv() });
  closeSync(fd);
  let exit: string | null = null;
  child.on("exit", (code, signal) => {
    exit = signal === null ? `exit code ${code ?? "?"}` : `signal ${signal}`;
    live.delete(child);
  });
  child.on("error", (error) => {
    exit = `spawn error: ${error.message}`;
  });
  live.add(child);
  installExitHook();
  if (child.pid !== undefined) guard(child.pid, options.binary);
  return {
    name: options.name,
    child,
    logPath: options.logPath,
    exited: () => exit,
    stop: () => stopChild(child),
  };
}

/** The last `lines` lines of a log file, for error messages. */
export function logTail(path: string, lines = 30): string {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** `count` distinct free TCP ports on 127.0.0.1 (held open together so they differ). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once("error", reject);
          server.listen(0, "127.0.0.1", () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    return address.port;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** Options of waitUntilHealthy. */
export interface HealthCheck {
  process: ServerProcess;
  url: string;
  /** CA to trust (https), or `insecure` for a self-signed health endpoint. */
  ca?: string;
  insecure?: boolean;
  token?: string;
  timeoutMs: number;
}

/**
 * Polls `url` until it answers 200. Fails early, with the end of the process log, if the process
 * exits, and after `timeoutMs` with the last answer seen.
 */
export async function waitUntilHealthy(check: HealthCheck): Promise<void> {
  const deadline = Date.now() + check.timeoutMs;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    const exited = check.process.exited();
    if (exited !== null) {
      throw new Error(
        `${check.process.name} exited (${exited}) while starting:\n${logTail(check.process.logPath)}`,
      );
    }
    last = await probe(check);
    if (last === "200") return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(
    `${check.process.name} not healthy at ${check.url} after ${check.timeoutMs} ms (last: ${last}):\n` +
      logTail(check.process.logPath),
  );
}

function probe(check: HealthCheck): Promise<string> {
  const url = new URL(check.url);
  const headers: Record<string, string> =
    check.token === undefined ? {} : { Authorization: `Bearer ${check.token}` };
  return new Promise((resolve) => {
    const options = { headers, timeout: 2000, ...(check.ca === undefined ? {} : { ca: check.ca }) };
    const tls = { ...options, rejectUnauthorized: check.insecure !== true };
    const req =
      url.protocol === "https:"
        ? request(url, tls, (res) => answer(res, resolve))
        : httpRequest(url, options, (res) => answer(res, resolve));
    req.on("error", (error) => resolve(error.message));
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.end();
  });
}

function answer(res: IncomingMessage, resolve: (status: string) => void): void {
  res.resume();
  resolve(String(res.statusCode));
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

/**
 * A detached shell that waits for this Node process to go away, then SIGKILLs the server: the
 * cleanup path that still works when the test runner itself is killed.
 */
function guard(pid: number, binary: string): void {
  const script = [
    `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${pid} 2>/dev/null; do sleep 1; done`,
    // Only if the runner died, and only the same program (never a recycled pid).
    `kill -0 ${process.pid} 2>/dev/null || { [ "$(readlink /proc/${pid}/exe)" = "$1" ] && kill -9 ${pid}; }`,
  ].join("; ");
  spawn("sh", ["-c", script, "guard", binary], { detached: true, stdio: "ignore" }).unref();
}

/**
 * Removes `dir` once this Node process is gone, whatever way it went (stop() removes it earlier on a
 * clean run; rm -rf of a missing dir is harmless).
 */
export function removeWhenGone(dir: string): void {
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; rm -rf -- "$1"`;
  spawn("sh", ["-c", script, "cleanup", dir], { detached: true, stdio: "ignore" }).unref();
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of live) child.kill("SIGKILL");
  });
}

/** A small environment: no proxies (everything is on 127.0.0.1), no inherited KUBECONFIG. */
function serverEnv(): NodeJS.ProcessEnv {
  const { PATH, HOME, TMPDIR } = process.env;
  return { PATH, HOME, TMPDIR, NO_PROXY: "127.0.0.1,localhost", no_proxy: "127.0.0.1,localhost" };
}
