/**
 * A test IMS: node:http on 127.0.0.1 (random port) serving the v3 images, public-keys and jobs
 * endpoints the client uses. Every request (path parameters, body) and every response it sends is
 * validated against the real `ims-openapi.yaml`; anything off is recorded in `violations`, so a
 * client that drifts from the real API fails its tests. A customize job moves through
 * `creating -> fetching_image -> waiting_on_user` as it is polled, gets an SSH jail from
 * `openJail` (a real sshd), and after `touch /tmp/complete` in the jail produces a result image
 * (`touch /tmp/failed` ends it in `error`), as IMS does.
 */
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { loadImsContract, type ImsContract, type ImsOperation } from "./ims-openapi.js";

/** Where a job's SSH jail is. */
export interface JailInfo {
  host: string;
  port: number;
  /** The jail's root directory on this machine (where `/tmp/complete` lands). */
  jail: string;
}

/** How the next customize jobs behave. */
export interface JobPlan {
  /** Polls (GET of the job) before it reaches waiting_on_user; default 2. */
  pollsToReady?: number;
  /** The job turns to `error` at this poll instead (IMS could not fetch the image, say). */
  errorAtPoll?: number;
  /** The job stays in fetching_image forever. */
  neverReady?: boolean;
  /** A result image appears after the complete signal; default true. */
  produceResult?: boolean;
}

/** Options of startImsServer. */
export interface ImsServerOptions {
  /** Opens the SSH jail of a new job (a real sshd with the job's public key). */
  openJail: (input: { jobId: string; publicKey: string }) => Promise<JailInfo>;
  /** Closes it when the job is deleted. */
  closeJail?: (jobId: string) => Promise<void>;
  /** Bearer token every request must carry; none when absent. */
  token?: string;
}

interface Job {
  record: Record<string, unknown>;
  plan: JobPlan;
  polls: number;
  jail: JailInfo | null;
}

/** One request as the server saw it. */
export interface SeenRequest {
  method: string;
  path: string;
  body: unknown;
  status: number;
  authorization: string | null;
}

/** A running test IMS. */
export interface ImsTestServer {
  /** Base URL without `/v3`. */
  url: string;
  readonly violations: string[];
  readonly requests: SeenRequest[];
  readonly images: Map<string, Record<string, unknown>>;
  readonly publicKeys: Map<string, Record<string, unknown>>;
  readonly jobs: Map<string, { record: Record<string, unknown> }>;
  /** Register an image and return its id. */
  addImage(name: string): string;
  /** How jobs created from now on behave. */
  setPlan(plan: JobPlan): void;
  close(): Promise<void>;
}

/** Start the test IMS. */
export async function startImsServer(options: ImsServerOptions): Promise<ImsTestServer> {
  const contract = loadImsContract();
  const state = new ImsState(options, contract);
  const server = createServer((req, res) => {
    void state.handle(req, res).catch((error: unknown) => {
      state.violations.push(`server error: ${String(error)}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/apis/ims`,
    violations: state.violations,
    requests: state.requests,
    images: state.images,
    publicKeys: state.publicKeys,
    jobs: state.jobs,
    addImage: (name) => state.addImage(name),
    setPlan: (plan) => {
      state.plan = plan;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const id of [...state.jobs.keys()]) await options.closeJail?.(id);
    },
  };
}

const PREFIX = "/apis/ims";

class ImsState {
  readonly violations: string[] = [];
  readonly requests: SeenRequest[] = [];
  readonly images = new Map<string, Record<string, unknown>>();
  readonly publicKeys = new Map<string, Record<string, unknown>>();
  readonly jobs = new Map<string, Job>();
  plan: JobPlan = {};

  constructor(
    private readonly options: ImsServerOptions,
    private readonly contract: ImsContract,
  ) {}

  addImage(name: string): string {
    const id = randomUUID();
    this.images.set(id, {
      id,
      name,
      created: new Date().toISOString(),
      link: { path: `s3://boot-images/${id}/manifest.json`, etag: "0123456789abcdef", type: "s3" },
      arch: "x86_64",
    });
    return id;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const method = req.method ?? "GET";
    const text = await readBody(req);
    const seen: SeenRequest = {
      method,
      path: url.pathname,
      body: null,
      status: 0,
      authorization: req.headers.authorization ?? null,
    };
    this.requests.push(seen);
    if (this.options.token !== undefined && seen.authorization !== `Bearer ${this.options.token}`) {
      seen.status = 401;
      res
        .writeHead(401, { "content-type": "application/json" })
        .end(JSON.stringify({ title: "Unauthorized", status: 401 }));
      return;
    }
    const path = url.pathname.startsWith(PREFIX) ? url.pathname.slice(PREFIX.length) : url.pathname;
    const found = this.contract.find(method, path);
    if (found === null) {
      this.violations.push(`${method} ${path}: the IMS API has no such operation`);
      return this.send({
        res,
        seen,
        op: null,
        status: 404,
        body: problem(404, "Not Found", "no such operation"),
      });
    }
    const body = this.checkRequest({ method, path, text, req, found });
    seen.body = body;
    if (body === INVALID)
      return this.send({
        res,
        seen,
        op: found.op,
        status: 422,
        body: problem(422, "Unprocessable Entity", "invalid request"),
      });
    const answer = await this.route(found.op, found.params, body);
    this.send({ res, seen, op: found.op, ...answer });
  }

  private checkRequest(input: {
    method: string;
    path: string;
    text: string;
    req: IncomingMessage;
    found: { op: ImsOperation; params: Record<string, string> };
  }): unknown {
    const { op, params } = input.found;
    const where = `${input.method} ${op.template}`;
    for (const [name, value] of Object.entries(params)) {
      const validate = op.validateParam.get(name);
      const shown = value;
      if (validate !== undefined && !validate(value))
        this.violations.push(`${where}: path parameter ${name}=${shown} ${errorsOf(validate)}`);
    }
    if (op.validateBody === null) {
      if (input.text !== "") this.violations.push(`${where}: a body was sent, but the operation takes none`);
      return null;
    }
    const contentType = String(input.req.headers["content-type"] ?? "missing");
    if (!contentType.startsWith("application/json")) {
      this.violations.push(`${where}: content-type is ${contentType}, not application/json`);
    }
    let body: unknown;
    try {
      body = JSON.parse(input.text);
    } catch {
      this.violations.push(`${where}: the body is not JSON`);
      return INVALID;
    }
    if (op.validateBody(body)) return body;
    this.violations.push(`${where}: request body ${JSON.stringify(body)} ${errorsOf(op.validateBody)}`);
    return INVALID;
  }

  private send(input: {
    res: ServerResponse;
    seen: SeenRequest;
    op: ImsOperation | null;
    status: number;
    body: unknown;
  }): void {
    const { res, seen, op, status, body } = input;
    seen.status = status;
    if (op !== null) this.checkResponse(op, status, body);
    if (body === undefined) {
      res.writeHead(status).end();
      return;
    }
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  }

  private checkResponse(op: ImsOperation, status: number, body: unknown): void {
    const where = `${op.method.toUpperCase()} ${op.template} -> ${status}`;
    if (!op.responses.has(status)) {
      this.violations.push(`${where}: status not documented by the IMS API`);
      return;
    }
    const validate = op.responses.get(status) ?? null;
    if (validate === null) {
      if (body !== undefined)
        this.violations.push(`${where}: documented without content, but a body was sent`);
      return;
    }
    if (!validate(body))
      this.violations.push(`${where}: response ${JSON.stringify(body)} ${errorsOf(validate)}`);
  }

  private async route(
    op: ImsOperation,
    params: Record<string, string>,
    body: unknown,
  ): Promise<{ status: number; body: unknown }> {
    const key = `${op.method} ${op.template}`;
    switch (key) {
      case "get /v3/images/{image_id}":
        return this.found(this.images.get(params.image_id ?? ""));
      case "get /v3/images":
        return { status: 200, body: [...this.images.values()] };
      case "post /v3/public-keys":
        return this.createKey(body as Record<string, unknown>);
      case "get /v3/public-keys":
        return { status: 200, body: [...this.publicKeys.values()] };
      case "get /v3/public-keys/{public_key_id}":
        return this.found(this.publicKeys.get(params.public_key_id ?? ""));
      case "delete /v3/public-keys/{public_key_id}":
        return this.remove(this.publicKeys, params.public_key_id ?? "");
      case "post /v3/jobs":
        return this.createJob(body as Record<string, unknown>);
      case "get /v3/jobs":
        return { status: 200, body: [...this.jobs.values()].map((job) => job.record) };
      case "get /v3/jobs/{job_id}":
        return this.getJob(params.job_id ?? "");
      case "delete /v3/jobs/{job_id}":
        return this.deleteJob(params.job_id ?? "");
      default:
        return {
          status: 500,
          body: problem(
            500,
            "Internal Server Error",
            `the test IMS does not implement ${op.method} ${op.template}`,
          ),
        };
    }
  }

  private found(record: Record<string, unknown> | undefined): { status: number; body: unknown } {
    return record === undefined
      ? { status: 404, body: problem(404, "Not Found", "no such record") }
      : { status: 200, body: record };
  }

  private remove(map: Map<string, unknown>, id: string): { status: number; body: unknown } {
    if (!map.delete(id)) return { status: 404, body: problem(404, "Not Found", "no such record") };
    return { status: 204, body: undefined };
  }

  private createKey(body: Record<string, unknown>): { status: number; body: unknown } {
    const id = randomUUID();
    const record = { id, created: new Date().toISOString(), name: body.name, public_key: body.public_key };
    this.publicKeys.set(id, record);
    return { status: 201, body: record };
  }

  private async createJob(body: Record<string, unknown>): Promise<{ status: number; body: unknown }> {
    if (body.job_type !== "customize" || !this.images.has(String(body.artifact_id))) {
      return {
        status: 422,
        body: problem(422, "Unprocessable Entity", `no image ${String(body.artifact_id)}`),
      };
    }
    const key = this.publicKeys.get(String(body.public_key_id));
    if (key === undefined)
      return { status: 422, body: problem(422, "Unprocessable Entity", "no such public key") };
    const id = randomUUID();
    const containers = (body.ssh_containers as Array<Record<string, unknown>> | undefined) ?? [];
    const record: Record<string, unknown> = {
      ...body,
      id,
      created: new Date().toISOString(),
      status: "creating",
      kubernetes_job: `cray-ims-${id}-customize`,
      kubernetes_service: `cray-ims-${id}-service`,
      kubernetes_configmap: `cray-ims-${id}-configmap`,
      kubernetes_namespace: "ims",
      arch: "x86_64",
      build_env_size: 15,
      initrd_file_name: "initrd",
      kernel_parameters_file_name: "kernel-parameters",
      ssh_containers: containers.map((c) => ({ name: c.name, jail: c.jail, status: "pending" })),
    };
    const job: Job = { record, plan: this.plan, polls: 0, jail: null };
    this.jobs.set(id, job);
    job.jail = await this.options.openJail({ jobId: id, publicKey: String(key.public_key) });
    return { status: 201, body: record };
  }

  private async deleteJob(id: string): Promise<{ status: number; body: unknown }> {
    if (!this.jobs.has(id)) return { status: 404, body: problem(404, "Not Found", "no such job") };
    this.jobs.delete(id);
    await this.options.closeJail?.(id);
    return { status: 204, body: undefined };
  }

  private getJob(id: string): { status: number; body: unknown } {
    const job = this.jobs.get(id);
    if (job === undefined) return { status: 404, body: problem(404, "Not Found", "no such job") };
    job.polls += 1;
    advance(job, this.images);
    return { status: 200, body: job.record };
  }
}

/** One step of a job's life, driven by polls and by the signal files in its jail. */
function advance(job: Job, images: Map<string, Record<string, unknown>>): void {
  const status = job.record.status;
  // building_image without a result is where a job that never produces one stays.
  if (status === "error" || status === "success" || status === "building_image") return;
  if (job.plan.errorAtPoll !== undefined && job.polls >= job.plan.errorAtPoll) {
    job.record.status = "error";
    return;
  }
  if (status !== "waiting_on_user") {
    const ready = job.plan.neverReady !== true && job.polls >= (job.plan.pollsToReady ?? 2);
    job.record.status = ready ? "waiting_on_user" : "fetching_image";
    if (ready && job.jail !== null) openContainers(job, job.jail);
    return;
  }
  signalled(job, images);
}

function openContainers(job: Job, jail: JailInfo): void {
  const info = { host: jail.host, port: jail.port };
  const containers = job.record.ssh_containers as Array<Record<string, unknown>>;
  for (const container of containers) {
    container.status = "active";
    container.connection_info = { "cluster.local": info, customer_access: info };
  }
}

function signalled(job: Job, images: Map<string, Record<string, unknown>>): void {
  const tmp = job.jail === null ? null : join(job.jail.jail, "tmp");
  if (tmp === null) return;
  if (existsSync(join(tmp, "failed"))) {
    job.record.status = "error";
    return;
  }
  if (!existsSync(join(tmp, "complete"))) return;
  job.record.status = "building_image";
  if (job.plan.produceResult === false) return;
  const id = randomUUID();
  images.set(id, {
    id,
    name: String(job.record.image_root_archive_name),
    created: new Date().toISOString(),
    link: { path: `s3://boot-images/${id}/manifest.json`, etag: "fedcba9876543210", type: "s3" },
    arch: "x86_64",
  });
  job.record.status = "success";
  job.record.resultant_image_id = id;
}

const INVALID = Symbol("invalid");

function problem(status: number, title: string, detail: string): Record<string, unknown> {
  return { type: "about:blank", title, status, detail };
}

function errorsOf(validate: { errors?: Array<{ instancePath: string; message?: string }> | null }): string {
  return (validate.errors ?? [])
    .map((e) => `${e.instancePath || "(root)"} ${e.message ?? "is invalid"}`)
    .join("; ");
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
