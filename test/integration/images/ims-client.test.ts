/**
 * The IMS client against a test IMS that checks every request and response against the real
 * ims-openapi.yaml, with a real sshd on loopback as each job's SSH jail.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  ImageServiceError,
  ImsApi,
  createImsClient,
  createSshRunner,
  ensureSessionKey,
  type ImageService,
  type ImsTimeouts,
  type SessionKey,
  type StageRequest,
  type Staging,
} from "../../../src/images/index.js";
import { freePort } from "../../helpers/ims-jail-sshd.js";
import type { ImsTestServer } from "../../helpers/ims-server.js";
import { startImsWithJails, type ImsWithJails } from "../../helpers/ims-with-jails.js";
import { skipEachWithoutReferenceSpec } from "../../helpers/reference-spec.js";

const spec = skipEachWithoutReferenceSpec("ims");

const TOKEN = "test-token-0123456789";
const FAST: ImsTimeouts = { jobReadyMs: 4_000, sshReadyMs: 4_000, resultMs: 3_000 };

let scratch: string;
let key: SessionKey;
let ims: ImsTestServer;
let world: ImsWithJails;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "cfs-ims-client-"));
  key = await ensureSessionKey({ dir: join(scratch, "key"), comment: "cfs-gitops test" });
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A fresh test IMS (with real sshd jails); `sshd: false` gives new jobs a port where nothing listens. */
async function newServer(input: { sshd?: boolean } = {}): Promise<ImsTestServer> {
  world = await startImsWithJails({ scratch, token: TOKEN });
  world.setSshd(input.sshd ?? true);
  ims = world.ims;
  return ims;
}

/** The jail directory of an IMS job. */
function jailOf(jobId: string | null | undefined): string {
  return world.jailDirs.get(jobId ?? "") ?? "";
}

function client(timeouts: Partial<ImsTimeouts> = {}): ImageService {
  return createImsClient({
    api: new ImsApi({ baseUrl: ims.url, token: () => Promise.resolve(TOKEN) }),
    ssh: createSshRunner(),
    sshUser: userInfo().username,
    timeouts: { ...FAST, ...timeouts },
    pollMs: 50,
  });
}

/** A stage request that remembers the last staging reported, as a runner keeps it on disk. */
function request(
  images: StageRequest["images"],
  extra: Partial<StageRequest> = {},
): { req: StageRequest; latest: () => Staging | null; lines: string[] } {
  let latest: Staging | null = null;
  const lines: string[] = [];
  const req: StageRequest = {
    session: "image-session",
    job: "cfs-image-session-0123abcd",
    images,
    requireDkms: false,
    sshKey: key,
    signal: new AbortController().signal,
    onProgress: (staging) => {
      latest = staging;
      return Promise.resolve();
    },
    log: (line) => {
      lines.push(line);
      return Promise.resolve();
    },
    ...extra,
  };
  return { req, latest: () => latest, lines };
}

async function stageError(service: ImageService, req: StageRequest): Promise<ImageServiceError> {
  const error = await service.stage(req).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ImageServiceError);
  return error as ImageServiceError;
}

function expectNothingLeft(): void {
  expect([...ims.jobs.keys()]).toEqual([]);
  expect([...ims.publicKeys.keys()]).toEqual([]);
}

afterEach(async () => {
  if (spec.path === null) return;
  expect(ims.violations).toEqual([]);
  expect(ims.requests.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
  await world.close();
});

describe("IMS client against the IMS API contract", () => {
  it("customizes two images: a key, one customize job each, SSH to each jail, complete, result ids, cleanup", async () => {
    await newServer();
    const base = ims.addImage("sles15-compute");
    const other = ims.addImage("sles15-uan");
    const service = client();
    const { req, latest, lines } = request(
      [
        { sourceId: base, resultName: "compute-customized" },
        { sourceId: other, resultName: null },
      ],
      { requireDkms: true },
    );

    const staging = await service.stage(req);

    const posts = ims.requests.filter((r) => r.method === "POST" && r.path.endsWith("/v3/jobs"));
    expect(posts.map((r) => r.body)).toEqual([
      expect.objectContaining({
        job_type: "customize",
        artifact_id: base,
        public_key_id: staging.publicKeyId,
        image_root_archive_name: "compute-customized",
        ssh_containers: [{ name: "image-session", jail: true }],
        require_dkms: true,
      }),
      expect.objectContaining({
        artifact_id: other,
        image_root_archive_name: "sles15-uan_cfs_image-session",
      }),
    ]);
    expect(latest()?.images.map((i) => i.jobId)).toEqual(staging.images.map((i) => i.jobId));
    expect(staging.images.map((i) => i.hostVars)).toEqual([
      expect.objectContaining({
        ansible_host: "127.0.0.1",
        ansible_user: userInfo().username,
        ansible_ssh_private_key_file: key.privateKeyPath,
      }),
      expect.objectContaining({ ansible_host: "127.0.0.1" }),
    ]);
    expect(lines.some((l) => l.includes("waiting_on_user"))).toBe(true);

    const outcomes = await service.teardown({
      staging,
      succeeded: true,
      signal: new AbortController().signal,
    });
    expect(outcomes.map((o) => o.status)).toEqual(["succeeded", "succeeded"]);
    const results = outcomes.map((o) => ims.images.get(o.resultId ?? "")?.name);
    expect(results).toEqual(["compute-customized", "sles15-uan_cfs_image-session"]);
    expect(existsSync(join(jailOf(outcomes[0]?.jobId), "tmp/complete"))).toBe(true);

    await service.cleanup(staging);
    expectNothingLeft();
  });

  it("after a failed layer touches /tmp/failed in each jail and produces no image", async () => {
    await newServer();
    const image = ims.addImage("sles15");
    const service = client();
    const staging = await service.stage(request([{ sourceId: image, resultName: null }]).req);
    const jail = jailOf(staging.images[0]?.jobId);

    const outcomes = await service.teardown({
      staging,
      succeeded: false,
      signal: new AbortController().signal,
    });

    expect(outcomes).toEqual([expect.objectContaining({ status: "failed", resultId: null, reason: null })]);
    expect(existsSync(join(jail, "tmp/failed"))).toBe(true);
    expect(ims.images.size).toBe(1);
    await service.cleanup(staging);
    expectNothingLeft();
  });

  it("fails with the job id when IMS puts the job in error, and cleanup removes the job and the key", async () => {
    await newServer();
    ims.setPlan({ errorAtPoll: 2 });
    const image = ims.addImage("sles15");
    const { req, latest } = request([{ sourceId: image, resultName: null }]);

    const error = await stageError(client(), req);

    const jobId = latest()?.images[0]?.jobId ?? "";
    expect(error.code).toBe("ims-job-error");
    expect(error.message).toBe(
      `IMS job ${jobId} for image ${image} failed (status error) before the image could be customized`,
    );
    await client().cleanup(latest() as Staging);
    expectNothingLeft();
  });

  it("times out, saying what it waited for, when the job's SSH jail never answers", async () => {
    await newServer({ sshd: false });
    const image = ims.addImage("sles15");
    const { req, latest } = request([{ sourceId: image, resultName: null }]);
    const started = Date.now();

    const error = await stageError(client({ sshReadyMs: 1_500 }), req);

    expect(error.code).toBe("timeout");
    expect(error.message).toMatch(
      /^timed out after 1500 ms waiting for SSH on 127\.0\.0\.1:\d+ \(IMS job [0-9a-f-]{36}\) \(last seen: .+\)$/,
    );
    expect(Date.now() - started).toBeLessThan(8_000);
    await client().cleanup(latest() as Staging);
    expectNothingLeft();
  });

  it("fails the image, saying so, when the job never produces its result image", async () => {
    await newServer();
    ims.setPlan({ produceResult: false });
    const image = ims.addImage("sles15");
    const service = client({ resultMs: 1_000 });
    const staging = await service.stage(request([{ sourceId: image, resultName: null }]).req);

    const outcomes = await service.teardown({
      staging,
      succeeded: true,
      signal: new AbortController().signal,
    });

    const jobId = staging.images[0]?.jobId ?? "";
    expect(outcomes).toEqual([
      {
        sourceId: image,
        jobId,
        status: "failed",
        resultId: null,
        reason: `timed out after 1s waiting for IMS job ${jobId} (image ${image}) to produce its result image (last seen: status building_image, no resultant_image_id)`,
      },
    ]);
    await service.cleanup(staging);
    expectNothingLeft();
  });

  it("stops waiting at once when the session is deleted mid-way, and cleanup leaves nothing in IMS", async () => {
    await newServer();
    ims.setPlan({ neverReady: true });
    const first = ims.addImage("sles15-a");
    const second = ims.addImage("sles15-b");
    const abort = new AbortController();
    const { req, latest } = request(
      [
        { sourceId: first, resultName: null },
        { sourceId: second, resultName: null },
      ],
      { signal: abort.signal },
    );
    const staged = client({ jobReadyMs: 60_000 }).stage(req);
    while ((latest()?.images.length ?? 0) < 2) await new Promise((resolve) => setTimeout(resolve, 20));
    const abortedAt = Date.now();
    abort.abort();

    const error = await staged.then(
      () => null,
      (e: unknown) => e as ImageServiceError,
    );

    expect(error?.code).toBe("cancelled");
    expect(Date.now() - abortedAt).toBeLessThan(1_000);
    expect(ims.jobs.size).toBe(2);
    await client().cleanup(latest() as Staging);
    expectNothingLeft();
  });

  it("names an image IMS does not have, and creates no job for it", async () => {
    await newServer();
    const missing = "11111111-2222-4333-8444-555555555555";
    const { req, latest } = request([{ sourceId: missing, resultName: null }]);

    const error = await stageError(client(), req);

    expect(error).toMatchObject({ code: "not-found", message: `image ${missing} is not in IMS` });
    expect(ims.jobs.size).toBe(0);
    await client().cleanup(latest() as Staging);
    expectNothingLeft();
  });

  it("keeps the token out of its errors when IMS cannot be reached", async () => {
    await newServer();
    const service = createImsClient({
      api: new ImsApi({
        baseUrl: `http://127.0.0.1:${await freePort()}/apis/ims`,
        token: () => Promise.resolve(TOKEN),
      }),
      ssh: createSshRunner(),
      timeouts: FAST,
      pollMs: 50,
    });

    const error = await stageError(service, request([]).req);

    expect(error.code).toBe("http");
    expect(error.message).toMatch(/^could not reach IMS for POST \/v3\/public-keys: /);
    expect(JSON.stringify({ message: error.message, data: error.data })).not.toContain(TOKEN);
    expect(readFileSync(key.privateKeyPath, "utf8")).toContain("PRIVATE KEY");
  });
});
