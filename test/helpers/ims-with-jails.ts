/**
 * The test IMS with a real SSH jail per customize job: each job's jail is a fresh copy of the
 * busybox root served by its own sshd, authorizing the job's public key, as IMS does.
 */
import { join } from "node:path";
import { copyBusyboxRoot } from "./image-busybox-root.js";
import { freePort, startJailSshd, type JailSshd } from "./ims-jail-sshd.js";
import { startImsServer, type ImsTestServer, type JailInfo } from "./ims-server.js";

/** The test IMS and its jails. */
export interface ImsWithJails {
  ims: ImsTestServer;
  /** The sshd of each job still open, by job id. */
  jails: Map<string, JailSshd>;
  /** The jail directory of each job ever created, by job id (kept after the job is deleted). */
  jailDirs: Map<string, string>;
  /** When false, jobs created from now on get a port where no sshd listens. */
  setSshd(up: boolean): void;
  close(): Promise<void>;
}

/** Start the test IMS; jails are made under `scratch`. */
export async function startImsWithJails(input: { scratch: string; token?: string }): Promise<ImsWithJails> {
  const jails = new Map<string, JailSshd>();
  const jailDirs = new Map<string, string>();
  let sshdUp = true;
  const openJail = async (job: { jobId: string; publicKey: string }): Promise<JailInfo> => {
    const jail = copyBusyboxRoot(join(input.scratch, `jail-${job.jobId}`));
    jailDirs.set(job.jobId, jail);
    if (!sshdUp) return { host: "127.0.0.1", port: await freePort(), jail };
    const sshd = await startJailSshd({ jail, authorizedKeys: [job.publicKey] });
    jails.set(job.jobId, sshd);
    return { host: sshd.host, port: sshd.port, jail };
  };
  const closeJail = async (jobId: string): Promise<void> => {
    await jails.get(jobId)?.stop();
    jails.delete(jobId);
  };
  const ims = await startImsServer({ openJail, closeJail, ...(input.token ? { token: input.token } : {}) });
  return {
    ims,
    jails,
    jailDirs,
    setSshd: (up) => {
      sshdUp = up;
    },
    close: async () => {
      await ims.close();
      for (const id of [...jails.keys()]) await closeJail(id);
    },
  };
}
