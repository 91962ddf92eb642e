/**
 * Packing and unpacking image roots: squashfs (mksquashfs/unsquashfs, what IMS produces) or a
 * gzip-compressed tar. Run as root, ownership and modes are kept exactly; run as another user,
 * every file is recorded as owned by root (`-all-root`, `--owner=0`), the usual case for images.
 */
import { execFile } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { ImageServiceError } from "./errors.js";

/** How an image's root filesystem is stored. */
export type ImageFormat = "squashfs" | "tar.gz";

/** Every format, for flag and metadata checks. */
export const IMAGE_FORMATS: readonly ImageFormat[] = ["squashfs", "tar.gz"];

/** File name of an image's root filesystem in its directory. */
export function artifactName(format: ImageFormat): string {
  return format === "squashfs" ? "rootfs.squashfs" : "rootfs.tar.gz";
}

/** The tools to run; defaults are the names on PATH. */
export interface ArchiveTools {
  mksquashfs?: string;
  unsquashfs?: string;
  tar?: string;
}

/** Inputs of packRoot and unpackRoot. */
export interface ArchiveInput {
  format: ImageFormat;
  /** The root directory (read by pack, created by unpack). */
  root: string;
  /** The archive file (written by pack, read by unpack). */
  file: string;
  signal?: AbortSignal;
  tools?: ArchiveTools;
}

/** Whether this process can keep file owners (only root can set them). */
function isRoot(): boolean {
  return process.geteuid?.() === 0;
}

/** Package directory `root` into `file`. */
export async function packRoot(input: ArchiveInput): Promise<void> {
  if (input.format === "squashfs") {
    const owner = isRoot() ? [] : ["-all-root"];
    await runTool({
      command: input.tools?.mksquashfs ?? "mksquashfs",
      args: [input.root, input.file, "-noappend", "-quiet", "-no-progress", ...owner],
      install: "squashfs-tools",
      signal: input.signal,
    });
    return;
  }
  const owner = isRoot() ? ["--numeric-owner"] : ["--owner=0", "--group=0", "--numeric-owner"];
  await runTool({
    command: input.tools?.tar ?? "tar",
    args: ["-C", input.root, ...owner, "-czf", input.file, "."],
    install: "tar",
    signal: input.signal,
  });
}

/** Unpack `file` into directory `root` (created with its parents; it must not hold files yet). */
export async function unpackRoot(input: ArchiveInput): Promise<void> {
  if (input.format === "squashfs") {
    await mkdir(dirname(input.root), { recursive: true });
    await runTool({
      command: input.tools?.unsquashfs ?? "unsquashfs",
      args: ["-quiet", "-no-progress", "-force", "-dest", input.root, input.file],
      install: "squashfs-tools",
      signal: input.signal,
    });
    return;
  }
  await mkdir(input.root, { recursive: true });
  await runTool({
    command: input.tools?.tar ?? "tar",
    args: ["--numeric-owner", "-xpzf", input.file, "-C", input.root],
    install: "tar",
    signal: input.signal,
  });
}

/** Unpack a tarball (`.tar`, `.tar.gz`, `.tgz`; compression detected by tar) into `root`. */
export async function unpackTarball(input: {
  file: string;
  root: string;
  signal?: AbortSignal;
}): Promise<void> {
  await mkdir(input.root, { recursive: true });
  await runTool({
    command: "tar",
    args: ["--numeric-owner", "-xpf", input.file, "-C", input.root],
    install: "tar",
    signal: input.signal,
  });
}

/** Whether a program is on PATH (`mksquashfs -version` exits 0). */
export function hasTool(command: string, args: readonly string[] = ["-version"]): Promise<boolean> {
  return new Promise((resolve) => execFile(command, [...args], (error) => resolve(error === null)));
}

/** One tool run: an argv, never a shell; a missing tool or a failure becomes an ImageServiceError. */
function runTool(input: {
  command: string;
  args: string[];
  install: string;
  signal: AbortSignal | undefined;
}): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      input.command,
      input.args,
      { maxBuffer: 16 * 1024 * 1024, ...(input.signal ? { signal: input.signal } : {}) },
      (error, _stdout, stderr) => {
        if (error === null) return resolve();
        reject(toolError(input, error, stderr));
      },
    );
  });
}

function toolError(
  input: { command: string; install: string },
  error: Error,
  stderr: string,
): ImageServiceError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") {
    return new ImageServiceError({
      code: "tool-missing",
      message: `${input.command} was not found; install it with \`apt-get install ${input.install}\``,
    });
  }
  if (error.name === "AbortError") {
    return new ImageServiceError({
      code: "cancelled",
      message: `${input.command}: cancelled (the session was deleted)`,
    });
  }
  const detail = stderr.trim().split(/\r?\n/).slice(-3).join(" ").trim() || error.message;
  return new ImageServiceError({ code: "command-failed", message: `${input.command} failed: ${detail}` });
}
