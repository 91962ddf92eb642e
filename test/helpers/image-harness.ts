/**
 * A real controller (local source, status store, local runner) with the local image store as its
 * image service, for image session tests. The store holds a busybox root imported as a source image.
 */
import { join } from "node:path";
import { pino } from "pino";
import { Controller } from "../../src/controller/index.js";
import { createLocalSource } from "../../src/git/local-source.js";
import { createStatusStore } from "../../src/git/status-store.js";
import {
  LocalImageStore,
  createLocalImageService,
  findConnectionPluginDir,
  type ImageService,
} from "../../src/images/index.js";
import { createLocalRunner } from "../../src/runners/local/index.js";
import { busyboxRoot } from "./image-busybox-root.js";

/** A running controller with its image store. */
export interface ImageHarness {
  controller: Controller;
  store: LocalImageStore;
  /** Id of the busybox image imported into the store. */
  sourceId: string;
  close(): Promise<void>;
}

/** The local image service over `store`, with the project's cfs_chroot plugin. */
export function localImageService(store: LocalImageStore): ImageService {
  const pluginDir = findConnectionPluginDir();
  if (pluginDir === null)
    throw new Error("ansible/connection_plugins/cfs_chroot.py was not found above the sources");
  return createLocalImageService({ store, pluginDir });
}

/** Starts a controller on a local repository, its runner and image store under `dataDir`. */
export async function startImageController(input: { repo: string; dataDir: string }): Promise<ImageHarness> {
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
  const store = await LocalImageStore.open({ dir: join(input.dataDir, "images") });
  const sourceId = (await store.importRoot({ source: busyboxRoot(), name: "busybox" })).id;
  const source = await createLocalSource({ path: input.repo, branch: "main", log });
  const status = await createStatusStore({ gitDir: source.gitDir, branch: "cfs-status", log });
  const runner = await createLocalRunner({
    dataDir: join(input.dataDir, "runner"),
    log,
    maxConcurrent: 2,
    images: localImageService(store),
  });
  const controller = new Controller({
    source,
    status,
    runner,
    log,
  });
  return {
    controller,
    store,
    sourceId,
    close: async () => {
      await controller.stop();
      await runner.close();
      await source.close();
      await status.close();
    },
  };
}
