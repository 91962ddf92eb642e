/**
 * A real (tiny) image root for image tests: Debian's static busybox with a link per applet, an
 * /etc with passwd, group, os-release and motd. Built once under `.cache/test-images/` (a `.stamp` file beside it
 * marks it complete) and reused by later runs; tests copy it before changing anything.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const BUSYBOX = "/bin/busybox";
/** Bump when the layout below changes, so a stale cache is not used. */
const LAYOUT_VERSION = "1";

/** The motd of the pristine root: tests check it is unchanged in the source image. */
export const PRISTINE_MOTD = "pristine busybox root\n";

/** The project's `.cache/test-images/` directory. */
function cacheDir(): string {
  return fileURLToPath(new URL("../../.cache/test-images/", import.meta.url));
}

/** The cached busybox root (built on first use). Never change it: copy it first. */
export function busyboxRoot(): string {
  const root = join(cacheDir(), `busybox-root-v${LAYOUT_VERSION}`);
  if (existsSync(`${root}.stamp`)) return root;
  if (!existsSync(BUSYBOX)) {
    throw new Error(
      `${BUSYBOX} is missing: image tests build a busybox root; run ./setup --test (it installs busybox-static)`,
    );
  }
  const building = `${root}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  buildRoot(building);
  rmSync(root, { recursive: true, force: true });
  renameSync(building, root);
  writeFileSync(`${root}.stamp`, `${new Date().toISOString()}\n`);
  return root;
}

function buildRoot(root: string): void {
  for (const dir of [
    "bin",
    "sbin",
    "usr/bin",
    "usr/sbin",
    "etc",
    "root",
    "tmp",
    "var/tmp",
    "dev",
    "proc",
    "sys",
  ]) {
    mkdirSync(join(root, dir), { recursive: true });
  }
  chmodSync(join(root, "tmp"), 0o1777);
  execFileSync("cp", [BUSYBOX, join(root, "bin/busybox")]);
  const applets = execFileSync(BUSYBOX, ["--list-full"], { encoding: "utf8" })
    .split("\n")
    .filter((line) => line !== "");
  for (const applet of applets) {
    const path = join(root, applet);
    if (applet === "bin/busybox" || existsSync(path)) continue;
    mkdirSync(dirname(path), { recursive: true });
    symlinkSync("/bin/busybox", path);
  }
  writeFileSync(join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
  writeFileSync(join(root, "etc/group"), "root:x:0:\n");
  writeFileSync(join(root, "etc/os-release"), 'NAME="cfs-gitops test busybox root"\nID=busybox\n');
  writeFileSync(join(root, "etc/motd"), PRISTINE_MOTD);
  checkStatic(root);
}

/** A dynamically linked busybox cannot run inside the root: say which package is needed. */
function checkStatic(root: string): void {
  try {
    const chroot =
      process.geteuid?.() === 0 ? ["chroot", root] : ["unshare", "--map-root-user", "chroot", root];
    execFileSync(chroot[0] ?? "chroot", [...chroot.slice(1), "/bin/sh", "-c", "true"], { stdio: "pipe" });
  } catch (error) {
    throw new Error(
      `the busybox root at ${root} cannot run /bin/sh (${String(error)}); ${BUSYBOX} must be statically linked: run ./setup --test (it installs busybox-static)`,
      { cause: error },
    );
  }
}

/** A fresh copy of the busybox root under `dir` (for a jail, or to change). */
export function copyBusyboxRoot(dir: string): string {
  execFileSync("cp", ["-a", busyboxRoot(), dir]);
  return dir;
}
