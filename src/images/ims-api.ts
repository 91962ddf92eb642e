/**
 * The calls cfs-gitops makes to the Cray IMS v3 API (`ims-openapi.yaml`), over fetch. Request
 * bodies carry only fields the API defines; responses are checked for the fields we rely on.
 * Credentials (the bearer token) never appear in errors.
 */
import { ImageServiceError, errorText } from "./errors.js";

/** IMS job statuses (`JobStatuses`). */
export type ImsJobStatus =
  | "creating"
  | "fetching_image"
  | "fetching_recipe"
  | "waiting_for_repos"
  | "building_image"
  | "waiting_on_user"
  | "error"
  | "success";

/** How to reach one SSH container (`SSHConnectionInfo`). */
export interface ImsConnectionInfo {
  host?: string;
  port?: number;
}

/** An SSH container of a job (`SshContainer`). */
export interface ImsSshContainer {
  name: string;
  jail: boolean;
  status?: string;
  connection_info?: Record<string, ImsConnectionInfo>;
}

/** The parts of a `JobRecord` this client reads. */
export interface ImsJobRecord {
  id: string;
  status: ImsJobStatus;
  ssh_containers?: ImsSshContainer[];
  resultant_image_id?: string | null;
  kubernetes_job?: string;
  /** The public key the job's SSH containers accept (customize jobs). */
  public_key_id?: string;
}

/** The body of `POST /v3/jobs` for a customize job. */
export interface ImsCustomizeJob {
  job_type: "customize";
  artifact_id: string;
  public_key_id: string;
  image_root_archive_name: string;
  ssh_containers: Array<{ name: string; jail: boolean }>;
  enable_debug: boolean;
  require_dkms?: boolean;
}

/** The parts of an `ImageRecord` this client reads. */
export interface ImsImageRecord {
  id: string;
  name: string;
}

/** The parts of a `PublicKeyRecord` this client reads. */
export interface ImsPublicKeyRecord {
  id: string;
  name: string;
}

/** Options of ImsApi. */
export interface ImsApiOptions {
  /** Base URL of IMS, without `/v3` (`https://api-gw-service-nmn.local/apis/ims`). */
  baseUrl: string;
  /** The fetch to use; default the global one. */
  fetch?: typeof fetch;
  /** Bearer token, read again for every request (tokens rotate); null sends none. */
  token?: () => Promise<string | null>;
  /** Longest time one request may take (default 30 s). */
  requestTimeoutMs?: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** One HTTP request to IMS. */
interface Call {
  method: "GET" | "POST" | "DELETE";
  path: string;
  body?: unknown;
  /** Treat 404 as success (deletes are idempotent). */
  missingOk?: boolean;
}

/** The IMS v3 calls of an image customization. */
export class ImsApi {
  private readonly baseUrl: string;

  constructor(private readonly options: ImsApiOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
  }

  /** `GET /v3/images/{id}`. */
  async getImage(id: string): Promise<ImsImageRecord> {
    const body = await this.call({ method: "GET", path: `/v3/images/${encodeURIComponent(id)}` });
    return checkRecord<ImsImageRecord>(body, ["id", "name"], "image record");
  }

  /** `POST /v3/public-keys`. */
  async createPublicKey(input: { name: string; publicKey: string }): Promise<ImsPublicKeyRecord> {
    const body = await this.call({
      method: "POST",
      path: "/v3/public-keys",
      body: { name: input.name, public_key: input.publicKey },
    });
    return checkRecord<ImsPublicKeyRecord>(body, ["id", "name"], "public key record");
  }

  /** `GET /v3/public-keys`: every key record (a removed session's key is found by its name). */
  async listPublicKeys(): Promise<ImsPublicKeyRecord[]> {
    const body = await this.call({ method: "GET", path: "/v3/public-keys" });
    return checkList(body, "public key records").map((item) =>
      checkRecord<ImsPublicKeyRecord>(item, ["id", "name"], "public key record"),
    );
  }

  /** `DELETE /v3/public-keys/{id}`; a key already gone is fine. */
  async deletePublicKey(id: string): Promise<void> {
    await this.call({ method: "DELETE", path: `/v3/public-keys/${encodeURIComponent(id)}`, missingOk: true });
  }

  /** `POST /v3/jobs`. */
  async createJob(job: ImsCustomizeJob): Promise<ImsJobRecord> {
    const body = await this.call({ method: "POST", path: "/v3/jobs", body: job });
    return checkRecord<ImsJobRecord>(body, ["id", "status"], "job record");
  }

  /** `GET /v3/jobs/{id}`. */
  async getJob(id: string): Promise<ImsJobRecord> {
    const body = await this.call({ method: "GET", path: `/v3/jobs/${encodeURIComponent(id)}` });
    return checkRecord<ImsJobRecord>(body, ["id", "status"], "job record");
  }

  /** `GET /v3/jobs`: every job record (a removed session's jobs are found by their public key). */
  async listJobs(): Promise<ImsJobRecord[]> {
    const body = await this.call({ method: "GET", path: "/v3/jobs" });
    return checkList(body, "job records").map((item) =>
      checkRecord<ImsJobRecord>(item, ["id", "status"], "job record"),
    );
  }

  /** `DELETE /v3/jobs/{id}` (IMS also deletes the job's Kubernetes resources); a job already gone is fine. */
  async deleteJob(id: string): Promise<void> {
    await this.call({ method: "DELETE", path: `/v3/jobs/${encodeURIComponent(id)}`, missingOk: true });
  }

  private async call(call: Call): Promise<unknown> {
    const url = `${this.baseUrl}${call.path}`;
    const response = await this.send(call, url);
    if (response.status === 404 && call.missingOk === true) return null;
    const text = await response.text();
    if (!response.ok) throw httpError(call, response, text);
    if (response.status === 204 || text === "") return null;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new ImageServiceError({
        code: "invalid-response",
        message: `IMS ${call.method} ${call.path} answered ${response.status} with a body that is not JSON`,
      });
    }
  }

  private async send(call: Call, url: string): Promise<Response> {
    const headers: Record<string, string> = { accept: "application/json" };
    const token = (await this.options.token?.()) ?? null;
    if (token !== null) headers["authorization"] = `Bearer ${token}`;
    if (call.body !== undefined) headers["content-type"] = "application/json";
    const timeout = this.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    try {
      return await (this.options.fetch ?? fetch)(url, {
        method: call.method,
        headers,
        ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
        signal: AbortSignal.timeout(timeout),
      });
    } catch (error) {
      throw new ImageServiceError({
        code: "http",
        message: `could not reach IMS for ${call.method} ${call.path}: ${causeText(error)}`,
        data: { method: call.method, path: call.path, transient: true },
      });
    }
  }
}

/** Whether an IMS error may go away by itself (network trouble, a 5xx): waits keep polling through it. */
export function isTransientImsError(error: unknown): boolean {
  return error instanceof ImageServiceError && error.data["transient"] === true;
}

function httpError(call: Call, response: Response, text: string): ImageServiceError {
  const detail = problemDetail(text);
  const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ""}`;
  return new ImageServiceError({
    code: response.status === 404 ? "not-found" : "http",
    message: `IMS ${call.method} ${call.path} answered ${status}${detail === null ? "" : `: ${detail}`}`,
    data: {
      method: call.method,
      path: call.path,
      status: response.status,
      transient: response.status >= 500,
    },
  });
}

/** `detail` (else `title`) of an RFC 7807 body, cut to one short line. */
function problemDetail(text: string): string | null {
  try {
    const body = JSON.parse(text) as { detail?: unknown; title?: unknown };
    const value = typeof body.detail === "string" ? body.detail : body.title;
    return typeof value === "string" ? value.replace(/\s+/g, " ").slice(0, 300) : null;
  } catch {
    return null;
  }
}

function causeText(error: unknown): string {
  if (error instanceof Error && error.name === "TimeoutError") return "the request timed out";
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : null;
  return cause ?? errorText(error);
}

function checkList(body: unknown, what: string): unknown[] {
  if (Array.isArray(body)) return body;
  throw new ImageServiceError({
    code: "invalid-response",
    message: `IMS answered with something other than a list of ${what}`,
  });
}

function checkRecord<T>(body: unknown, keys: readonly string[], what: string): T {
  const record = body as Record<string, unknown> | null;
  const missing = keys.filter((key) => typeof record?.[key] !== "string");
  if (record === null || typeof record !== "object" || missing.length > 0) {
    throw new ImageServiceError({
      code: "invalid-response",
      message: `IMS answered with a ${what} without ${missing.join(", ") || "a body"}`,
    });
  }
  return record as T;
}
