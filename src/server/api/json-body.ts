/** Reading a request's JSON body within limits: its size in bytes and its nesting depth. */
import type { IncomingMessage } from "node:http";
import { ApiError, badRequest } from "./api-error.js";

/** Limits of a request body. */
export interface BodyLimits {
  maxBytes: number;
  maxDepth: number;
}

/** Default limits: 1 MiB, nesting 32 deep (a session or configuration body is far smaller). */
export const DEFAULT_BODY_LIMITS: BodyLimits = { maxBytes: 1024 * 1024, maxDepth: 32 };

/** The parsed JSON body; 413 when too large, 400 when not JSON or nested too deep. */
export async function readJsonBody(req: IncomingMessage, limits: BodyLimits): Promise<unknown> {
  const bytes = await readBytes(req, limits.maxBytes);
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString("utf8"));
  } catch {
    throw badRequest("The request body is not valid JSON");
  }
  if (deeperThan(value, limits.maxDepth))
    throw badRequest(`The request body is nested deeper than ${limits.maxDepth} levels`);
  return value;
}

/** True when a value nests more than `max` levels of objects or arrays (stops looking past `max`). */
export function deeperThan(value: unknown, max: number): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (max <= 0) return true;
  return Object.values(value).some((child) => deeperThan(child, max - 1));
}

function tooLarge(limit: number): ApiError {
  return new ApiError(413, "Payload Too Large", `The request body is larger than ${limit} bytes`, {
    connection: "close",
  });
}

function readBytes(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (): void => {
      req.off("data", onData).off("end", onEnd).off("error", reject);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      stop();
      reject(tooLarge(limit));
    };
    const onEnd = (): void => {
      stop();
      resolve(Buffer.concat(chunks));
    };
    req.on("data", onData).on("end", onEnd).on("error", reject);
  });
}
