/**
 * `cfs-gitops images list|describe|import|export|delete`: the local image store, where image
 * sessions find their source images and leave their results. Also builds the image service the
 * controller uses (`--image-service local|ims|none`).
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Command } from "commander";
import type { Logger } from "pino";
import {
  ImsApi,
  LocalImageStore,
  createImsClient,
  createLocalImageService,
  createSshRunner,
  findConnectionPluginDir,
  isImageServiceError,
  type ImageService,
  type LocalImageRecord,
} from "../../images/index.js";
import { resolveImageStoreDir, type ImageServiceConfig, type RepoFlags } from "../config.js";
import { CliError } from "../errors.js";
import type { CliIo } from "../io.js";
import { humanSize } from "../human-size.js";
import { addOutputOptions, parseOutput, type OutputFlags } from "../output-flags.js";
import { renderData, renderTable } from "../output.js";

/** Flags of every `images` command. */
type StoreFlags = Pick<RepoFlags, "repo" | "dataDir">;

/** Registers the `images` command group. */
export function registerImages(program: Command, io: CliIo): void {
  const images = program
    .command("images")
    .description("the local image store: source images of image sessions, and the images they produce");
  storeOptions(
    addOutputOptions(
      images
        .command("list")
        .description("list the images in the store")
        .addHelpText(
          "after",
          "\nExamples:\n  cfs-gitops images list --repo ./site-config\n  cfs-gitops images list -o json | jq '.[].id'\n",
        ),
      { allowed: ["table", "json", "yaml"], table: true },
    ),
  ).action(async (flags: StoreFlags & OutputFlags) => {
    const format = parseOutput(flags, ["table", "json", "yaml"] as const);
    await withStore({ flags, io }, async (store) => {
      const records = await store.list();
      io.stdout.write(
        format === "table" ? imageTable(records, flags.headers !== false) : renderData(records, format),
      );
    });
  });
  storeOptions(
    addOutputOptions(
      images
        .command("describe <id|name>")
        .description("show one image's record, by id or by name (size in bytes)")
        .addHelpText(
          "after",
          "\nExamples:\n  cfs-gitops images describe compute-base --repo ./site-config\n  cfs-gitops images describe 902b4a80-3ac2-40d5-b65e-86ac3e12f209 -o yaml\n",
        ),
      { allowed: ["json", "yaml"], table: false },
    ),
  ).action(async (id: string, flags: StoreFlags & OutputFlags) => {
    const format = parseOutput(flags, ["json", "yaml"] as const);
    await withStore({ flags, io }, async (store) => {
      io.stdout.write(renderData(await foundByIdOrName(store, id), format));
    });
  });
  registerImport(images, io);
  registerExport(images, io);
  registerDelete(images, io);
}

function registerImport(images: Command, io: CliIo): void {
  storeOptions(
    images
      .command("import <path>")
      .description(
        "import a root filesystem: a directory, a tarball (.tar, .tar.gz, .tgz) or a squashfs file",
      )
      .requiredOption("--name <name>", "the image's name")
      .addHelpText(
        "after",
        "\nExample:\n  cfs-gitops images import ./rootfs.tar.gz --name compute-base --repo ./site-config\n",
      ),
  ).action(async (path: string, flags: StoreFlags & { name: string }) => {
    await withStore({ flags, io }, async (store) => {
      const record = await store.importRoot({ source: resolve(io.cwd, path), name: flags.name });
      io.stdout.write(`${record.id}\n`);
    });
  });
}

function registerExport(images: Command, io: CliIo): void {
  storeOptions(
    images
      .command("export <id> <file>")
      .description("write an image's root filesystem as a gzip-compressed tarball")
      .addHelpText(
        "after",
        "\nExample:\n  cfs-gitops images export <id> ./customized.tar.gz --repo ./site-config\n",
      ),
  ).action(async (id: string, file: string, flags: StoreFlags) => {
    await withStore({ flags, io }, async (store) => {
      await found(store, id);
      await store.exportTarball({ id, file: resolve(io.cwd, file) });
    });
  });
}

function registerDelete(images: Command, io: CliIo): void {
  storeOptions(
    images
      .command("delete <id>")
      .description("delete an image (images made from it keep its id as parent)")
      .addHelpText(
        "after",
        "\nExample:\n  cfs-gitops images delete 902b4a80-3ac2-40d5-b65e-86ac3e12f209 --repo ./site-config\n",
      ),
  ).action(async (id: string, flags: StoreFlags) => {
    await withStore({ flags, io }, async (store) => {
      if (!(await store.delete(id))) throw new CliError(`Image ${id} could not be found`);
    });
  });
}

function storeOptions(command: Command): Command {
  return command
    .option(
      "--data-dir <dir>",
      "the controller's data directory; images live in <dir>/images [env CFS_GITOPS_DATA_DIR]",
    )
    .option("--repo <path|url>", "or: the configuration repository, whose default data directory is used");
}

/** Opens the store the flags name and runs `work`; image errors become one line, exit 1. */
async function withStore(
  input: { flags: StoreFlags; io: CliIo },
  work: (store: LocalImageStore) => Promise<void>,
): Promise<void> {
  const { flags, io } = input;
  const local = (path: string | undefined): { dataDir?: string } =>
    path === undefined ? {} : { dataDir: resolve(io.cwd, path) };
  const named = {
    ...(flags.repo === undefined ? {} : { repo: flags.repo }),
    ...local(flags.dataDir ?? io.env.CFS_GITOPS_DATA_DIR),
  };
  const store = await LocalImageStore.open({ dir: resolveImageStoreDir(named, io.env) });
  try {
    await work(store);
  } catch (error) {
    if (isImageServiceError(error)) throw new CliError(error.message);
    throw error;
  }
}

async function found(store: LocalImageStore, id: string): Promise<LocalImageRecord> {
  const record = await store.get(id);
  if (record === null) throw new CliError(`Image ${id} could not be found`);
  return record;
}

/** An image by id, else by name (a name several images carry is refused, listing their ids). */
async function foundByIdOrName(store: LocalImageStore, key: string): Promise<LocalImageRecord> {
  const record = await store.get(key);
  if (record !== null) return record;
  const named = (await store.list()).filter((r) => r.name === key);
  const [only] = named;
  if (named.length === 1 && only) return only;
  if (named.length > 1)
    throw new CliError(
      `${named.length} images are named ${key}: give the id (${named.map((r) => r.id).join(", ")})`,
    );
  throw new CliError(`Image ${key} could not be found`);
}

function imageTable(records: readonly LocalImageRecord[], headers: boolean): string {
  const rows = records.map((r) => [r.id, r.name, r.parent ?? "-", r.created, r.format, humanSize(r.size)]);
  const table = renderTable(["ID", "NAME", "PARENT", "CREATED", "FORMAT", "SIZE"], rows);
  return headers ? table : table.slice(table.indexOf("\n") + 1);
}

/**
 * The image service of the controller: the local store under the data directory, the Cray IMS
 * client, or none (image sessions then fail at `inventory`, saying so).
 */
export async function openImageService(input: {
  config: ImageServiceConfig;
  log: Logger;
}): Promise<ImageService | null> {
  const { config, log } = input;
  if (config.service === "none") return null;
  if (config.service === "local") {
    const pluginDir = findConnectionPluginDir();
    if (pluginDir === null)
      throw new Error("ansible/connection_plugins/cfs_chroot.py is missing from this installation");
    const store = await LocalImageStore.open({ dir: config.dir });
    log.info({ dir: config.dir, format: store.format }, "image service: the local image store");
    return createLocalImageService({ store, pluginDir });
  }
  const tokenFile = config.tokenFile;
  const api = new ImsApi({
    baseUrl: config.url,
    ...(tokenFile === null ? {} : { token: async () => (await readFile(tokenFile, "utf8")).trim() }),
  });
  log.info({ url: config.url, sshNetwork: config.sshNetwork }, "image service: Cray IMS");
  return createImsClient({
    api,
    ssh: createSshRunner(),
    connection: config.sshNetwork,
    timeouts: config.timeouts,
  });
}
