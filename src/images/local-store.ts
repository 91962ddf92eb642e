/**
 * The local image store: each image is a packaged root filesystem in `<dir>/<id>/` (`rootfs.squashfs`
 * or `rootfs.tar.gz`) beside `image.json` (id, name, parent, created, format, size). Images are
 * created whole (built under `.tmp/`, then renamed into place) and never change afterwards.
 */
import { randomUUID } from "node:crypto";
import { copyFile, mkdir, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { formatTime } from "../plan/duration.js";
import { ImageServiceError } from "./errors.js";
import {
  IMAGE_FORMATS,
  artifactName,
  hasTool,
  packRoot,
  unpackRoot,
  unpackTarball,
  type ArchiveTools,
  type ImageFormat,
} from "./image-archive.js";

/** `image.json` of one image. */
export interface LocalImageRecord {
  /** A UUID, like IMS image ids. */
  id: string;
  name: string;
  /** The image this one was customized from; null for an imported image. */
  parent: string | null;
  /** RFC 3339, second precision. */
  created: string;
  format: ImageFormat;
  /** Bytes of the packaged root filesystem. */
  size: number;
}

/** Options of LocalImageStore.open. */
export interface LocalImageStoreOptions {
  /** The store directory (`<dataDir>/images`). */
  dir: string;
  /** Format of new images; default squashfs when mksquashfs is installed, else tar.gz. */
  format?: ImageFormat;
  now?: () => Date;
  newId?: () => string;
  tools?: ArchiveTools;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const RECORD_FILE = "image.json";
const TMP_DIR = ".tmp";
const WORK_DIR = ".work";

/** Whether `id` can name an image (a UUID, so it can never name another path). */
export function isImageId(id: string): boolean {
  return UUID.test(id);
}

/** Images kept as packaged roots under one directory. */
export class LocalImageStore {
  private constructor(
    readonly dir: string,
    readonly format: ImageFormat,
    private readonly options: LocalImageStoreOptions,
  ) {}

  /** Open (creating if needed) the store under `options.dir`. */
  static async open(options: LocalImageStoreOptions): Promise<LocalImageStore> {
    await mkdir(join(options.dir, TMP_DIR), { recursive: true });
    const format =
      options.format ?? ((await hasTool(options.tools?.mksquashfs ?? "mksquashfs")) ? "squashfs" : "tar.gz");
    return new LocalImageStore(options.dir, format, options);
  }

  /** Every image, oldest first (then by name). Damaged entries are left out. */
  async list(): Promise<LocalImageRecord[]> {
    const entries = await readdir(this.dir, { withFileTypes: true }).catch(() => []);
    const records: LocalImageRecord[] = [];
    for (const entry of entries) {
      if (!entry.isDirectory() || !isImageId(entry.name)) continue;
      const record = await this.get(entry.name);
      if (record !== null) records.push(record);
    }
    return records.sort((a, b) => a.created.localeCompare(b.created) || a.name.localeCompare(b.name));
  }

  /** One image, or null when there is none with that id. */
  async get(id: string): Promise<LocalImageRecord | null> {
    if (!isImageId(id)) return null;
    const text = await readFile(join(this.dir, id, RECORD_FILE), "utf8").catch(() => null);
    return text === null ? null : parseRecord(text, id);
  }

  /** One image; throws `not-found` with a hint when there is none. */
  async require(id: string): Promise<LocalImageRecord> {
    const record = await this.get(id);
    if (record !== null) return record;
    throw new ImageServiceError({
      code: "not-found",
      message: `image ${id} is not in the local image store (see \`cfs-gitops images list\`)`,
      data: { id },
    });
  }

  /** Path of an image's packaged root filesystem. */
  artifactPath(record: LocalImageRecord): string {
    return join(this.dir, record.id, artifactName(record.format));
  }

  /** Where the work copies of run `job` live (removed by the image service's cleanup). */
  workDir(job: string): string {
    return join(this.dir, WORK_DIR, job);
  }

  /** Import a root filesystem from a directory, a tarball (`.tar`, `.tar.gz`, `.tgz`) or a squashfs file. */
  async importRoot(input: { source: string; name: string; signal?: AbortSignal }): Promise<LocalImageRecord> {
    const info = await stat(input.source).catch(() => null);
    if (info === null) {
      throw new ImageServiceError({
        code: "not-found",
        message: `${input.source}: no such file or directory`,
      });
    }
    if (info.isDirectory())
      return this.addFromRoot({ root: input.source, name: input.name, parent: null, ...signal(input) });
    const scratch = join(this.dir, TMP_DIR, `import-${this.newId()}`);
    try {
      const root = join(scratch, "root");
      if (isSquashfsName(input.source))
        await unpackRoot({ format: "squashfs", root, file: input.source, ...this.tools(), ...signal(input) });
      else await unpackTarball({ file: input.source, root, ...signal(input) });
      return await this.addFromRoot({ root, name: input.name, parent: null, ...signal(input) });
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /** Package directory `root` as a new image; returns its record. */
  async addFromRoot(input: {
    root: string;
    name: string;
    parent: string | null;
    signal?: AbortSignal;
  }): Promise<LocalImageRecord> {
    checkName(input.name);
    const id = this.newId();
    const building = join(this.dir, TMP_DIR, id);
    await mkdir(building, { recursive: true });
    try {
      const file = join(building, artifactName(this.format));
      await packRoot({ format: this.format, root: input.root, file, ...this.tools(), ...signal(input) });
      const record: LocalImageRecord = {
        id,
        name: input.name,
        parent: input.parent,
        created: formatTime(this.options.now?.() ?? new Date()),
        format: this.format,
        size: (await stat(file)).size,
      };
      await writeFile(join(building, RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
      await rename(building, join(this.dir, id));
      return record;
    } finally {
      await rm(building, { recursive: true, force: true });
    }
  }

  /** Unpack image `id` into directory `root` (a fresh copy; the image itself never changes). */
  async unpack(input: { id: string; root: string; signal?: AbortSignal }): Promise<void> {
    const record = await this.require(input.id);
    await unpackRoot({
      format: record.format,
      root: input.root,
      file: this.artifactPath(record),
      ...this.tools(),
      ...signal(input),
    });
  }

  /** Write image `id` as a gzip-compressed tarball to `file`. */
  async exportTarball(input: { id: string; file: string; signal?: AbortSignal }): Promise<void> {
    const record = await this.require(input.id);
    if (record.format === "tar.gz") {
      await copyFile(this.artifactPath(record), input.file);
      return;
    }
    const scratch = join(this.dir, TMP_DIR, `export-${this.newId()}`);
    try {
      const root = join(scratch, "root");
      await this.unpack({ id: input.id, root, ...signal(input) });
      await packRoot({ format: "tar.gz", root, file: input.file, ...this.tools(), ...signal(input) });
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /** Delete image `id`; false when there was none. Images customized from it keep their `parent` id. */
  async delete(id: string): Promise<boolean> {
    if ((await this.get(id)) === null) return false;
    const trash = join(this.dir, TMP_DIR, `delete-${id}-${this.newId()}`);
    await rename(join(this.dir, id), trash);
    await rm(trash, { recursive: true, force: true });
    return true;
  }

  private newId(): string {
    return this.options.newId?.() ?? randomUUID();
  }

  private tools(): { tools?: ArchiveTools } {
    return this.options.tools === undefined ? {} : { tools: this.options.tools };
  }
}

function signal(input: { signal?: AbortSignal }): { signal?: AbortSignal } {
  return input.signal === undefined ? {} : { signal: input.signal };
}

function isSquashfsName(path: string): boolean {
  return /\.(squashfs|sqsh|sqshfs|sfs)$/i.test(path);
}

function checkName(name: string): void {
  if (name.trim() === "" || name.length > 255 || /[\n\r]/.test(name)) {
    throw new ImageServiceError({
      code: "invalid-input",
      message: `image name "${name}" must be one line of 1 to 255 characters`,
    });
  }
}

/** A record from `image.json`, or null when the file is damaged or names another id. */
function parseRecord(text: string, id: string): LocalImageRecord | null {
  let value: Partial<LocalImageRecord>;
  try {
    value = JSON.parse(text) as Partial<LocalImageRecord>;
  } catch {
    return null;
  }
  const ok =
    value.id === id &&
    typeof value.name === "string" &&
    (value.parent === null || typeof value.parent === "string") &&
    typeof value.created === "string" &&
    IMAGE_FORMATS.includes(value.format as ImageFormat) &&
    typeof value.size === "number";
  return ok ? (value as LocalImageRecord) : null;
}
