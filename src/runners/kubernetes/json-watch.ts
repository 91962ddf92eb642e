/**
 * The informers' watch: `GET ...?watch=true`, one JSON event a line, each parsed without its
 * managedFields (see managed-fields.ts). client-node's Watch does the same through node-fetch, a
 * PassThrough stream and readline's line splitting, and parses every line whole: a third of the
 * controller's CPU while 1,000 new Jobs are watched being created and changed.
 *
 * Same contract as client-node's Watch (the informer's WatchClient): watch() resolves with an
 * AbortController once the answer has begun, or once it failed; `done` is called once, with null
 * when the server ended the watch and with the error otherwise (its `statusCode` the HTTP status
 * when the server refused, 410 among them). A line that is not JSON, or longer than
 * MAX_WATCH_LINE_BYTES, ends the watch with an error rather than being skipped: the informer then
 * watches again from the last event it applied, so no change is lost. So does a callback that
 * throws (client-node's Watch swallowed both).
 */
import type { IncomingMessage } from "node:http";
import type { WatchClient } from "./informer.js";
import { parseAnswer, prepareRequest, readText, type JsonRequestOptions } from "./json-request.js";
import { withoutManagedFields } from "./managed-fields.js";

/** Longest watch event read (an object is at most etcd's 1.5 MiB; its JSON with managedFields, more). */
export const MAX_WATCH_LINE_BYTES = 16 * 1024 * 1024;

/** Longest refusal read for its message. */
const MAX_REFUSAL_BYTES = 64 * 1024;

/** Idle time after which TCP keep-alive probes a watch's connection (as client-node's Watch). */
const TCP_KEEP_ALIVE_MS = 30_000;

const NEWLINE = 0x0a;

/** A watch failure; `statusCode` is the HTTP status when the server refused the watch. */
export class WatchError extends Error {
  constructor(
    message: string,
    readonly statusCode?: number,
  ) {
    super(message);
    this.name = "WatchError";
  }
}

/** Watches over plain HTTP(S) requests authenticated by the KubeConfig. */
export class JsonWatch implements WatchClient {
  constructor(private readonly options: JsonRequestOptions) {}

  async watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, object: unknown) => void,
    done: (error: unknown) => void,
  ): Promise<AbortController> {
    const controller = new AbortController();
    let ended = false;
    const end = (error: unknown): void => {
      if (ended) return;
      ended = true;
      controller.abort();
      done(error);
    };
    let prepared;
    try {
      prepared = await prepareRequest(
        { method: "GET", path, query: { ...query, watch: true } },
        this.options,
      );
    } catch (error) {
      end(error);
      return controller;
    }
    const { url, headers, agent, send } = prepared;
    return new Promise<AbortController>((resolve) => {
      const options = {
        method: "GET",
        headers,
        signal: controller.signal,
        ...(agent === undefined ? {} : { agent }),
      };
      const req = send(url, options, (res) => {
        resolve(controller);
        if (res.statusCode === 200) readEvents(res, callback, end);
        else void refusal(res).then(end);
      });
      req.on("socket", (socket) => socket.setKeepAlive(true, TCP_KEEP_ALIVE_MS));
      req.on("error", (error) => {
        end(error);
        resolve(controller);
      });
      req.end();
    });
  }
}

/** Calls `callback` for each event line; `end` when the answer ends or breaks. */
function readEvents(
  res: IncomingMessage,
  callback: (phase: string, object: unknown) => void,
  end: (error: unknown) => void,
): void {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const fail = (error: Error): void => {
    res.destroy();
    end(error);
  };
  res.on("data", (chunk: Buffer) => {
    let from = 0;
    for (let at = chunk.indexOf(NEWLINE); at >= 0; at = chunk.indexOf(NEWLINE, from)) {
      const part = chunk.subarray(from, at);
      if (pendingBytes + part.length > MAX_WATCH_LINE_BYTES) return fail(tooLong());
      const line = pending.length === 0 ? part : Buffer.concat([...pending, part]);
      pending = [];
      pendingBytes = 0;
      from = at + 1;
      if (line.length === 0) continue;
      const event = parseEvent(line);
      if (event === null)
        return fail(new WatchError(`the watch sent a line that is not an event: ${preview(line)}`));
      try {
        callback(event.type, event.object);
      } catch (error) {
        // A callback that throws ends the watch (the informer starts another) rather than the process.
        return fail(error instanceof Error ? error : new WatchError(String(error)));
      }
    }
    if (from < chunk.length) {
      pending.push(chunk.subarray(from));
      pendingBytes += chunk.length - from;
      if (pendingBytes > MAX_WATCH_LINE_BYTES) fail(tooLong());
    }
  });
  res.on("end", () => end(null));
  res.on("error", (error) => end(error));
  res.on("close", () => end(null));
}

function tooLong(): WatchError {
  return new WatchError(`the watch sent an event of more than ${MAX_WATCH_LINE_BYTES} bytes`);
}

/** `{type, object}` of one line, or null when it is not a watch event. */
function parseEvent(line: Buffer): { type: string; object: unknown } | null {
  let event: unknown;
  try {
    event = JSON.parse(withoutManagedFields(line.toString("utf8")));
  } catch {
    return null;
  }
  if (typeof event !== "object" || event === null) return null;
  const { type, object } = event as { type?: unknown; object?: unknown };
  return typeof type === "string" ? { type, object } : null;
}

/** The error of a refused watch: its status, and the API's message when it sent a Status. */
async function refusal(res: IncomingMessage): Promise<WatchError> {
  const status = res.statusCode ?? 0;
  // A Status is small; a longer or broken answer leaves the status alone to tell.
  const text = await readText(res, MAX_REFUSAL_BYTES).catch(() => "");
  res.destroy();
  const message = (parseAnswer(text) as { message?: unknown } | null)?.message;
  return new WatchError(
    `watch refused: ${status}${typeof message === "string" ? ` ${message}` : ""}`,
    status,
  );
}

function preview(line: Buffer): string {
  return JSON.stringify(line.subarray(0, 80).toString("utf8"));
}
