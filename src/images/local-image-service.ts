/**
 * The local image store as an ImageService (the embedded default). Staging unpacks a fresh copy of
 * each source image under the store's work directory; Ansible reaches it through the `cfs_chroot`
 * connection. Teardown packages each copy as a new image (parent = the source) after success and
 * discards it after failure. The source image is never touched.
 */
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { ImageServiceError, errorText } from "./errors.js";
import { CHROOT_CONNECTION, connectionPluginEnv } from "./chroot-plugin.js";
import { isImageId, type LocalImageStore } from "./local-store.js";
import { defaultResultName } from "./names.js";
import type {
  ImageOutcome,
  ImageService,
  StageRequest,
  StagedImage,
  Staging,
  TeardownRequest,
} from "./types.js";

/** Options of createLocalImageService. */
export interface LocalImageServiceOptions {
  store: LocalImageStore;
  /** Directory holding `cfs_chroot.py` (see findConnectionPluginDir). */
  pluginDir: string;
}

/** Create the local image service over `store`. */
export function createLocalImageService(options: LocalImageServiceOptions): ImageService {
  return new LocalImageService(options.store, options.pluginDir);
}

class LocalImageService implements ImageService {
  readonly kind = "local" as const;

  constructor(
    private readonly store: LocalImageStore,
    private readonly pluginDir: string,
  ) {}

  async stage(request: StageRequest): Promise<Staging> {
    const staging: Staging = {
      service: "local",
      session: request.session,
      job: request.job,
      publicKeyId: null,
      images: [],
      ansibleEnv: connectionPluginEnv(this.pluginDir),
    };
    const work = this.store.workDir(request.job);
    for (const target of request.images) {
      if (request.signal.aborted)
        throw new ImageServiceError({ code: "cancelled", message: "staging was cancelled" });
      if (!isImageId(target.sourceId)) {
        throw new ImageServiceError({
          code: "invalid-input",
          message: `image id ${target.sourceId} is not a UUID`,
        });
      }
      const record = await this.store.require(target.sourceId);
      const root = join(work, target.sourceId, "root");
      const image: StagedImage = {
        sourceId: record.id,
        sourceName: record.name,
        resultName: target.resultName ?? defaultResultName(record.name, request.session),
        jobId: null,
        hostVars: { ansible_connection: CHROOT_CONNECTION, ansible_host: root },
        root,
      };
      staging.images.push(image);
      await request.onProgress({ ...staging, images: [...staging.images] });
      await rm(root, { recursive: true, force: true });
      await this.store.unpack({ id: record.id, root, signal: request.signal });
      await request.log?.(`unpacked image ${record.id} (${record.name}, ${record.format}) into ${root}`);
    }
    return staging;
  }

  async teardown(request: TeardownRequest): Promise<ImageOutcome[]> {
    const outcomes: ImageOutcome[] = [];
    for (const image of request.staging.images) {
      outcomes.push(await this.finish(request, image));
    }
    return outcomes;
  }

  async cleanup(staging: Staging): Promise<void> {
    const work = this.store.workDir(staging.job);
    await assertNoMounts(work);
    await rm(work, { recursive: true, force: true });
  }

  private async finish(request: TeardownRequest, image: StagedImage): Promise<ImageOutcome> {
    const base = { sourceId: image.sourceId, jobId: null };
    if (!request.succeeded || image.root === null) {
      return { ...base, status: "failed", resultId: null, reason: null };
    }
    try {
      await assertNoMounts(image.root);
      const record = await this.store.addFromRoot({
        root: image.root,
        name: image.resultName,
        parent: image.sourceId,
        signal: request.signal,
      });
      await request.log?.(
        `packaged image ${record.id} (${record.name}, ${record.format}, ${record.size} bytes) from ${image.sourceId}`,
      );
      return { ...base, status: "succeeded", resultId: record.id, reason: null };
    } catch (error) {
      return {
        ...base,
        status: "failed",
        resultId: null,
        reason: `image ${image.sourceId}: ${errorText(error)}`,
      };
    }
  }
}

/**
 * Refuses to package or delete a directory with something mounted below it (a playbook that
 * mounted /proc inside the image, say): packaging would capture it and deleting would follow it.
 */
async function assertNoMounts(dir: string): Promise<void> {
  const table = await readFile("/proc/self/mountinfo", "utf8").catch(() => "");
  const prefix = dir.endsWith("/") ? dir : `${dir}/`;
  const mounted = table
    .split("\n")
    .map((line) => unescapeMountPath(line.split(" ")[4] ?? ""))
    .filter((point) => point === dir || point.startsWith(prefix));
  if (mounted.length > 0) {
    throw new ImageServiceError({
      code: "invalid-input",
      message: `${mounted.join(", ")} is still mounted inside the image work copy; unmount it (a playbook must undo its mounts)`,
      data: { mounted },
    });
  }
}

/** Mount points in mountinfo escape space, tab, newline and backslash as octal. */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}
