/** The local image store and its image service, on a real busybox root, with real squashfs-tools and tar. */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  LocalImageStore,
  createLocalImageService,
  findConnectionPluginDir,
  type ImageFormat,
  type Staging,
} from "../../../src/images/index.js";
import { PRISTINE_MOTD, busyboxRoot } from "../../helpers/image-busybox-root.js";

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "cfs-image-store-"));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

function open(format?: ImageFormat): Promise<LocalImageStore> {
  return LocalImageStore.open({
    dir: join(dir, "images"),
    ...(format === undefined ? {} : { format }),
    now: () => new Date("2025-01-02T03:04:05.678Z"),
  });
}

/** The text of one file inside an image, read from a fresh unpack. */
async function fileIn(store: LocalImageStore, id: string, path: string): Promise<string> {
  const root = join(dir, `peek-${Math.random().toString(16).slice(2)}`);
  await store.unpack({ id, root });
  return readFileSync(join(root, path), "utf8");
}

describe("LocalImageStore", () => {
  it("imports a directory as a squashfs image with a UUID, and lists, describes and unpacks it", async () => {
    const store = await open();
    const record = await store.importRoot({ source: busyboxRoot(), name: "busybox" });

    expect(record).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      name: "busybox",
      parent: null,
      created: "2025-01-02T03:04:05Z",
      format: "squashfs",
      size: expect.any(Number),
    });
    expect(existsSync(join(dir, "images", record.id, "rootfs.squashfs"))).toBe(true);
    expect(await store.list()).toEqual([record]);
    expect(await store.get(record.id)).toEqual(record);
    expect(await fileIn(store, record.id, "etc/motd")).toBe(PRISTINE_MOTD);
  });

  it("imports a tarball and a squashfs file, and exports a tarball that holds the root", async () => {
    const store = await open();
    const tarball = join(dir, "root.tar.gz");
    execFileSync("tar", ["-C", busyboxRoot(), "-czf", tarball, "."]);
    const fromTar = await store.importRoot({ source: tarball, name: "from-tar" });
    const squashfs = join(dir, "root.squashfs");
    execFileSync("mksquashfs", [busyboxRoot(), squashfs, "-quiet", "-no-progress"]);
    const fromSquashfs = await store.importRoot({ source: squashfs, name: "from-squashfs" });

    const exported = join(dir, "out.tar.gz");
    await store.exportTarball({ id: fromSquashfs.id, file: exported });

    expect(await fileIn(store, fromTar.id, "etc/motd")).toBe(PRISTINE_MOTD);
    const listing = execFileSync("tar", ["-tzf", exported], { encoding: "utf8" }).split("\n");
    expect(listing).toEqual(expect.arrayContaining(["./etc/motd", "./bin/busybox", "./bin/sh"]));
    expect((await store.list()).map((r) => r.name)).toEqual(["from-squashfs", "from-tar"].sort());
  });

  it("keeps images as gzip tarballs when asked, and deletes them", async () => {
    const store = await open("tar.gz");
    const record = await store.importRoot({ source: busyboxRoot(), name: "busybox" });
    expect(record.format).toBe("tar.gz");
    expect(existsSync(join(dir, "images", record.id, "rootfs.tar.gz"))).toBe(true);

    expect(await store.delete(record.id)).toBe(true);
    expect(await store.delete(record.id)).toBe(false);
    expect(await store.list()).toEqual([]);
  });

  it("finds nothing for ids that are not UUIDs, and says how to list images for a missing one", async () => {
    const store = await open();
    expect(await store.get("../../etc")).toBeNull();
    await expect(store.require("0b3f8c2e-1111-4222-8333-944444444444")).rejects.toThrow(
      "image 0b3f8c2e-1111-4222-8333-944444444444 is not in the local image store (see `cfs-gitops images list`)",
    );
    await expect(store.importRoot({ source: join(dir, "nope"), name: "x" })).rejects.toThrow(
      /no such file or directory/,
    );
  });
});

describe("the local image service", () => {
  async function staged(): Promise<{ store: LocalImageStore; source: string; staging: Staging }> {
    const store = await open();
    const source = (await store.importRoot({ source: busyboxRoot(), name: "busybox" })).id;
    const pluginDir = findConnectionPluginDir();
    if (pluginDir === null) throw new Error("ansible/connection_plugins/cfs_chroot.py not found");
    const service = createLocalImageService({ store, pluginDir });
    const staging = await service.stage({
      session: "s1",
      job: "cfs-s1-0123abcd",
      images: [{ sourceId: source, resultName: null }],
      requireDkms: false,
      sshKey: null,
      signal: new AbortController().signal,
      onProgress: () => Promise.resolve(),
    });
    return { store, source, staging };
  }

  it("stages a copy reached through cfs_chroot, packages it with parent = source, and cleans up", async () => {
    const { store, source, staging } = await staged();
    const service = createLocalImageService({ store, pluginDir: findConnectionPluginDir() ?? "" });
    const image = staging.images[0];
    expect(image?.hostVars).toEqual({ ansible_connection: "cfs_chroot", ansible_host: image?.root });
    expect(staging.ansibleEnv.ANSIBLE_CONNECTION_PLUGINS).toMatch(/ansible\/connection_plugins:/);
    writeFileSync(join(image?.root ?? "", "etc/motd"), "customized\n");

    const outcomes = await service.teardown({
      staging,
      succeeded: true,
      signal: new AbortController().signal,
    });

    const resultId = outcomes[0]?.resultId ?? "";
    expect(outcomes).toEqual([
      { sourceId: source, jobId: null, status: "succeeded", resultId, reason: null },
    ]);
    expect(await store.get(resultId)).toMatchObject({ name: "busybox_cfs_s1", parent: source });
    expect(await fileIn(store, resultId, "etc/motd")).toBe("customized\n");
    expect(await fileIn(store, source, "etc/motd")).toBe(PRISTINE_MOTD);
    await service.cleanup(staging);
    expect(existsSync(store.workDir("cfs-s1-0123abcd"))).toBe(false);
  });

  it("packages nothing after a failed layer", async () => {
    const { store, staging } = await staged();
    const service = createLocalImageService({ store, pluginDir: "" });
    const outcomes = await service.teardown({
      staging,
      succeeded: false,
      signal: new AbortController().signal,
    });
    expect(outcomes.map((o) => [o.status, o.resultId, o.reason])).toEqual([["failed", null, null]]);
    expect((await store.list()).length).toBe(1);
  });

  it.runIf(process.geteuid?.() === 0)(
    "refuses to package or delete a work copy with a mount inside it",
    async () => {
      const { store, staging } = await staged();
      const service = createLocalImageService({ store, pluginDir: "" });
      const proc = join(staging.images[0]?.root ?? "", "proc");
      mkdirSync(proc, { recursive: true });
      execFileSync("mount", ["-t", "tmpfs", "cfs-test", proc]);
      try {
        const outcomes = await service.teardown({
          staging,
          succeeded: true,
          signal: new AbortController().signal,
        });
        expect(outcomes[0]?.reason).toContain(`${proc} is still mounted inside the image work copy`);
        await expect(service.cleanup(staging)).rejects.toThrow(/is still mounted/);
      } finally {
        execFileSync("umount", [proc]);
      }
      await service.cleanup(staging);
    },
  );
});
