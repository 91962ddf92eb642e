/**
 * The local runner with the IMS client: real ansible-playbook over real SSH into each job's jail
 * (a real sshd), against the contract-checked test IMS.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunSpec } from "../../../src/api/index.js";
import { ImsApi, createImsClient, createSshRunner, type ImageService } from "../../../src/images/index.js";
import { createLocalRunner } from "../../../src/runners/local/index.js";
import type { Runner } from "../../../src/runners/types.js";
import { isComplete, layer, makeLayerRepo, runSpec, waitForRun } from "../../helpers/ansible-fixtures.js";
import { startImsWithJails, type ImsWithJails } from "../../helpers/ims-with-jails.js";
import { skipEachWithoutReferenceSpec } from "../../helpers/reference-spec.js";

const spec = skipEachWithoutReferenceSpec("ims");

let scratch: string;
let world: ImsWithJails;
let runner: Runner;

beforeEach(async () => {
  scratch = mkdtempSync(join(tmpdir(), "cfs-runner-ims-"));
  world = await startImsWithJails({ scratch });
  runner = await createLocalRunner({
    dataDir: join(scratch, "data"),
    log: pino({ level: "silent" }),
    maxConcurrent: 2,
    killGraceMs: 1_000,
    images: imsClient(),
  });
});

function imsClient(): ImageService {
  return createImsClient({
    api: new ImsApi({ baseUrl: world.ims.url }),
    ssh: createSshRunner(),
    sshUser: userInfo().username,
    timeouts: { jobReadyMs: 20_000, sshReadyMs: 5_000, resultMs: 5_000 },
    pollMs: 50,
  });
}

afterEach(async () => {
  if (spec.path === null) return;
  await runner.close();
  expect(world.ims.violations).toEqual([]);
  await world.close();
  rmSync(scratch, { recursive: true, force: true });
});

const PLAYBOOK = `- hosts: cfs_image
  gather_facts: false
  tasks:
    - name: change the image over SSH
      ansible.builtin.raw: echo "customized over ssh" > /etc/motd
`;

function imageSession(name: string, image: string): RunSpec {
  const repo = makeLayerRepo(scratch, `${name}-layer`, { "site.yml": PLAYBOOK });
  const spec = runSpec(name, [
    layer(0, { name: "base", clone_url: repo.url, commit: repo.commit, playbook: "site.yml" }),
  ]);
  return {
    ...spec,
    components: [],
    session: {
      ...spec.session,
      target: { definition: "image", groups: [{ name: "Compute", members: [image] }] },
    },
  };
}

describe("local runner with the IMS client", () => {
  it("runs ansible over SSH in the IMS jail, records the result as an artifact and every IMS job, and cleans up", async () => {
    const image = world.ims.addImage("sles15-compute");
    const spec = imageSession("ims-s1", image);

    await runner.start(spec);
    const obs = await waitForRun(runner, spec.name, isComplete, 60_000);

    expect(obs).toMatchObject({ succeeded: "true", reason: null });
    const jobId = obs.imsJobs?.[0] ?? "";
    expect(obs.imsJobs).toEqual([jobId]);
    expect(obs.imsJob).toBe(jobId);
    const resultId = obs.artifacts[0]?.result_id ?? "";
    expect(obs.artifacts).toEqual([{ image_id: image, result_id: resultId, type: "ims_customized_image" }]);
    expect(world.ims.images.get(resultId)?.name).toBe("sles15-compute_cfs_ims-s1");
    expect(readFileSync(join(world.jailDirs.get(jobId) ?? "", "etc/motd"), "utf8")).toBe(
      "customized over ssh\n",
    );
    expect(world.ims.jobs.size).toBe(0);
    expect(world.ims.publicKeys.size).toBe(0);
  });

  it("fails the session with IMS's error, tears down and leaves no job or key", async () => {
    world.ims.setPlan({ errorAtPoll: 2 });
    const image = world.ims.addImage("sles15-compute");
    const spec = imageSession("ims-s2", image);

    await runner.start(spec);
    const obs = await waitForRun(runner, spec.name, isComplete, 60_000);

    expect(obs.succeeded).toBe("false");
    expect(obs.reason).toMatch(
      /^inventory: IMS job [0-9a-f-]{36} for image [0-9a-f-]{36} failed \(status error\)/,
    );
    expect(obs.steps.map((s) => [s.name, s.status])).toEqual([
      ["git-clone-0", "succeeded"],
      ["inventory", "failed"],
      ["ansible-0", "skipped"],
      ["teardown", "succeeded"],
    ]);
    expect(obs.artifacts).toEqual([]);
    expect(world.ims.jobs.size).toBe(0);
    expect(world.ims.publicKeys.size).toBe(0);
  });

  it("a restarted controller ends the run it found unfinished and deletes its IMS jobs and key", async () => {
    world.ims.setPlan({ neverReady: true });
    const image = world.ims.addImage("sles15-compute");
    const spec = imageSession("ims-s4", image);
    await runner.start(spec);
    await waitForRun(runner, spec.name, (o) => (o.imsJobs?.length ?? 0) > 0, 30_000);
    await runner.close();

    runner = await createLocalRunner({
      dataDir: join(scratch, "data"),
      log: pino({ level: "silent" }),
      maxConcurrent: 2,
      images: imsClient(),
    });

    expect((await runner.observe()).get(spec.name)).toMatchObject({
      phase: "complete",
      succeeded: "unknown",
    });
    expect(world.ims.jobs.size).toBe(0);
    expect(world.ims.publicKeys.size).toBe(0);
  });

  it("removing the session mid-way stops the waits and deletes its IMS jobs and key", async () => {
    world.ims.setPlan({ neverReady: true });
    const image = world.ims.addImage("sles15-compute");
    const spec = imageSession("ims-s3", image);

    await runner.start(spec);
    await waitForRun(runner, spec.name, (o) => (o.imsJobs?.length ?? 0) > 0, 30_000);
    expect(world.ims.jobs.size).toBe(1);
    const started = Date.now();
    await runner.remove(spec.name, spec.job);

    expect(Date.now() - started).toBeLessThan(3_000);
    expect(world.ims.jobs.size).toBe(0);
    expect(world.ims.publicKeys.size).toBe(0);
    expect(existsSync(join(scratch, "data", "runs", spec.job))).toBe(false);
  });

  it("limits an image session to its image hosts: a live node of the additional inventory is not configured", async () => {
    const image = world.ims.addImage("sles15-compute");
    const liveMarker = join(scratch, "live-node-configured");
    const playbook = `- hosts: all
  gather_facts: false
  tasks:
    - name: change the image over SSH
      when: cray_cfs_image
      ansible.builtin.raw: echo "image only" > /etc/motd
    - name: what a node personalization would do
      when: not cray_cfs_image
      ansible.builtin.copy:
        content: "configured\\n"
        dest: "${liveMarker}"
`;
    const repo = makeLayerRepo(scratch, "limit-layer", { "site.yml": playbook });
    const hosts = makeLayerRepo(scratch, "limit-hosts", {
      "live.yml": "all:\n  hosts:\n    live-node:\n      ansible_connection: local\n",
    });
    const base = imageSession("ims-limit", image);
    const spec: RunSpec = {
      ...base,
      layers: [layer(0, { name: "base", clone_url: repo.url, commit: repo.commit, playbook: "site.yml" })],
      additionalInventory: { clone_url: hosts.url, commit: hosts.commit },
    };

    await runner.start(spec);
    const obs = await waitForRun(runner, spec.name, isComplete, 60_000);

    expect(obs).toMatchObject({ succeeded: "true", reason: null });
    expect(Object.keys(obs.layers[0]?.recap ?? {})).toEqual([image]);
    expect(existsSync(liveMarker)).toBe(false);
    const jobId = obs.imsJobs?.[0] ?? "";
    expect(readFileSync(join(world.jailDirs.get(jobId) ?? "", "etc/motd"), "utf8")).toBe("image only\n");
  });
});
