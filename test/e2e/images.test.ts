/**
 * Image customization end to end on the embedded default: a session with `target.definition:
 * image` merged into the configuration repository, the real controller and local runner, real
 * ansible-playbook reaching a real (busybox) image root through cfs_chroot, squashfs packaging,
 * and the artifact on the status branch.
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SessionRecord } from "../../src/api/index.js";
import type { LocalImageStore } from "../../src/images/index.js";
import { ConfigRepo, configurationYaml, makeLayerRepo, tempDir } from "../helpers/config-repo.js";
import { PRISTINE_MOTD } from "../helpers/image-busybox-root.js";
import { startImageController, type ImageHarness } from "../helpers/image-harness.js";

let dir: { path: string; cleanup: () => void };
let repo: ConfigRepo;
let harness: ImageHarness;

beforeEach(async () => {
  dir = tempDir("cfs-e2e-images-");
  repo = new ConfigRepo(join(dir.path, "config"));
  repo.commit({ "README.md": "site configuration\n" }, "initial");
  harness = await startImageController({ repo: repo.path, dataDir: join(dir.path, "data") });
});

afterEach(async () => {
  await harness.close();
  dir.cleanup();
});

/** Raw tasks only: the busybox root has no Python (see README, Image customization). */
const CUSTOMIZE = `- hosts: cfs_image
  gather_facts: false
  tasks:
    - name: change the message of the day inside the image
      ansible.builtin.raw: echo "customized by cfs-gitops" > /etc/motd
- hosts: Application
  gather_facts: false
  tasks:
    - name: mark the image, only when CFS says it is one
      ansible.builtin.raw: test "{{ cray_cfs_image }}" = "True" && touch /etc/cfs-image-marker
`;

const FAIL = `- hosts: cfs_image
  gather_facts: false
  tasks:
    - name: fail on purpose
      ansible.builtin.raw: exit 3
`;

function sessionYaml(name: string, configuration: string, image: string): string {
  return `apiVersion: cfs-gitops/v1
kind: Session
name: ${name}
configuration:
  name: ${configuration}
target:
  definition: image
  groups:
    - name: Application
      members: ["${image}"]
  image_map:
    - source_id: ${image}
      result_name: busybox-customized
`;
}

function record(name: string): SessionRecord {
  const text = repo.statusFile(`sessions/${name}.json`);
  if (text === null) throw new Error(`no status record for ${name}`);
  return JSON.parse(text) as SessionRecord;
}

async function fileIn(store: LocalImageStore, id: string, path: string): Promise<string | null> {
  const root = join(mkdtempSync(join(dir.path, "peek-")), "root");
  await store.unpack({ id, root });
  return existsSync(join(root, path)) ? readFileSync(join(root, path), "utf8") : null;
}

describe("image sessions on the local runner with the local image store", () => {
  it("customizes a copy of the image, packages it as a new image and commits the artifact", async () => {
    const layer = makeLayerRepo(dir.path, "image-layer", { "site.yml": CUSTOMIZE });
    repo.commit({
      "configurations/image-config.yaml": configurationYaml("image-config", [{ name: "base", url: layer }]),
      "sessions/image-s1.yaml": sessionYaml("image-s1", "image-config", harness.sourceId),
    });

    expect(await harness.controller.runUntilSettled({ timeoutMs: 120_000 })).toBe(true);

    const r = record("image-s1");
    expect(r.status.session).toMatchObject({ status: "complete", succeeded: "true" });
    const resultId = r.status.artifacts[0]?.result_id ?? "";
    expect(r.status.artifacts).toEqual([
      { image_id: harness.sourceId, result_id: resultId, type: "ims_customized_image" },
    ]);
    expect(r.status.steps.map((s) => [s.name, s.status])).toEqual([
      ["git-clone-0", "succeeded"],
      ["inventory", "succeeded"],
      ["ansible-0", "succeeded"],
      ["teardown", "succeeded"],
    ]);
    expect(await harness.store.get(resultId)).toMatchObject({
      name: "busybox-customized",
      parent: harness.sourceId,
      format: "squashfs",
    });
    expect(await fileIn(harness.store, resultId, "etc/motd")).toBe("customized by cfs-gitops\n");
    expect(await fileIn(harness.store, resultId, "etc/cfs-image-marker")).toBe("");
    expect(await fileIn(harness.store, harness.sourceId, "etc/motd")).toBe(PRISTINE_MOTD);
    expect(await fileIn(harness.store, harness.sourceId, "etc/cfs-image-marker")).toBeNull();
    expect(existsSync(harness.store.workDir(r.status.session.job ?? ""))).toBe(false);
  });

  it("records no artifact and packages nothing when a layer fails, and still tears down", async () => {
    const good = makeLayerRepo(dir.path, "good", { "site.yml": CUSTOMIZE });
    const bad = makeLayerRepo(dir.path, "bad", { "site.yml": FAIL });
    repo.commit({
      "configurations/broken.yaml": configurationYaml("broken", [
        { name: "base", url: good },
        { name: "broken", url: bad },
      ]),
      "sessions/image-s2.yaml": sessionYaml("image-s2", "broken", harness.sourceId),
    });

    expect(await harness.controller.runUntilSettled({ timeoutMs: 120_000 })).toBe(true);

    const r = record("image-s2");
    expect(r.status.session).toMatchObject({ status: "complete", succeeded: "false" });
    expect(r.status.artifacts).toEqual([]);
    expect(r.status.reason).toMatch(/^layer 1 \(site\.yml\) failed on 1 host: [0-9a-f-]{36}$/);
    expect(r.status.layers.map((l) => l.status)).toEqual(["succeeded", "failed"]);
    expect(r.status.steps.find((s) => s.name === "teardown")?.status).toBe("succeeded");
    expect((await harness.store.list()).map((i) => i.id)).toEqual([harness.sourceId]);
    expect(existsSync(harness.store.workDir(r.status.session.job ?? ""))).toBe(false);
  });
});
