/**
 * `--ssh-key` of the local runner against a real sshd standing in for a live node: a node session
 * whose inventory points at it (127.0.0.1, its port, the test's user) runs its playbook over SSH
 * with the key; without the key the node is unreachable and the session fails saying so. The key's
 * content appears in no log; an image session never gets the key.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RunSpec } from "../../../src/api/index.js";
import { createLocalRunner } from "../../../src/runners/local/index.js";
import { ansibleStepEnv } from "../../../src/runners/steps/index.js";
import type { Runner } from "../../../src/runners/types.js";
import {
  isComplete,
  layer,
  makeLayerRepo,
  play,
  runSpec,
  tempDir,
  waitForRun,
  type LayerRepo,
} from "../../helpers/ansible-fixtures.js";
import { makeKeyPair, startNodeSshd, type NodeSshd } from "../../helpers/node-sshd.js";

let root: string;
let sshd: NodeSshd;
let key: string;
let site: LayerRepo;
let hosts: LayerRepo;
const runners: Runner[] = [];

beforeAll(async () => {
  root = tempDir("cfs-node-ssh-");
  const pair = makeKeyPair(root);
  key = pair.key;
  sshd = await startNodeSshd({ authorizedKeys: [pair.publicKey] });
  site = makeLayerRepo(root, "site", {
    "site.yml": play(
      `    - name: write a file on the node, over SSH\n      ansible.builtin.copy:\n` +
        `        content: "{{ inventory_hostname }} {{ ansible_ssh_host | default(ansible_host) }}\\n"\n` +
        `        dest: "${join(root, "written-over-ssh")}"\n`,
    ),
  });
  hosts = makeLayerRepo(root, "hosts", {
    "hosts.yaml":
      `all:\n  hosts:\n    node1:\n      ansible_host: ${sshd.host}\n      ansible_port: ${sshd.port}\n` +
      `      ansible_user: ${sshd.user}\n`,
  });
}, 60_000);

afterAll(async () => {
  await sshd?.stop();
});

afterEach(async () => {
  for (const runner of runners.splice(0)) await runner.close();
});

async function newRunner(name: string, sshKey?: string): Promise<Runner> {
  const runner = await createLocalRunner({
    dataDir: join(root, `data-${name}`),
    log: pino({ level: "silent" }),
    maxConcurrent: 1,
    // Each runner its own SSH connection sockets: a ControlPersist master left open by another
    // test's run would log this one in without a key.
    env: { ANSIBLE_SSH_CONTROL_PATH_DIR: join(root, `cp-${name}`) },
    ...(sshKey === undefined ? {} : { sshKey }),
  });
  runners.push(runner);
  return runner;
}

/** A node session on `node1`, whose address the hosts repository gives. */
function nodeSession(name: string): RunSpec {
  const base = runSpec(
    name,
    [layer(0, { clone_url: site.path, commit: site.commit, playbook: "site.yml" })],
    {
      additionalInventory: { clone_url: hosts.path, commit: hosts.commit },
      components: [],
    },
  );
  return {
    ...base,
    session: {
      ...base.session,
      target: { definition: "spec", groups: [{ name: "compute", members: ["node1"] }] },
    },
  };
}

async function logs(runner: Runner, obs: { job: string; steps: Array<{ name: string }> }): Promise<string> {
  const all = await Promise.all(obs.steps.map((s) => runner.readLog(obs.job, s.name)));
  return all.join("\n");
}

describe("--ssh-key on the local runner", () => {
  it("logs a node session in with the key: its playbook writes a file over SSH", async () => {
    const runner = await newRunner("with-key", key);
    await runner.start(nodeSession("with-key"));
    const obs = await waitForRun(runner, "with-key", isComplete, 120_000);
    expect(obs.reason).toBeNull();
    expect(obs.succeeded).toBe("true");
    expect(obs.layers[0]?.recap["node1"]).toMatchObject({ ok: 1, unreachable: 0, failed: 0 });
    expect(readFileSync(join(root, "written-over-ssh"), "utf8")).toBe("node1 127.0.0.1\n");
    const text = await logs(runner, obs);
    expect(text).toContain("PLAY RECAP");
    expect(text).not.toContain(readFileSync(key, "utf8").split("\n")[1] ?? "?");
  }, 150_000);

  it("fails the session, the node unreachable, without the key", async () => {
    const runner = await newRunner("without-key");
    await runner.start(nodeSession("without-key"));
    const obs = await waitForRun(runner, "without-key", isComplete, 120_000);
    expect(obs.succeeded).toBe("false");
    expect(obs.layers[0]?.unreachable_hosts).toEqual(["node1"]);
    expect(obs.reason).toBe("layer 0 (site.yml) could not reach 1 host: node1");
  }, 150_000);
});

describe("ansibleStepEnv and the node key", () => {
  const envInput = (spec: RunSpec) => ({
    base: { PATH: "/usr/bin" },
    layer: layer(0, {
      clone_url: "https://git.example/site.git",
      commit: "0".repeat(40),
      playbook: "site.yml",
    }),
    configPath: "/w/ansible.cfg",
    spec,
  });

  it("points ansible at the key for node sessions", () => {
    const spec = nodeSession("env");
    expect(ansibleStepEnv({ ...envInput(spec), sshKeyFile: "/keys/id_ecdsa" })).toMatchObject({
      ANSIBLE_PRIVATE_KEY_FILE: "/keys/id_ecdsa",
    });
    expect(ansibleStepEnv(envInput(spec))["ANSIBLE_PRIVATE_KEY_FILE"]).toBeUndefined();
  });

  it("never gives it to an image session", () => {
    const spec = nodeSession("env");
    const image: RunSpec = {
      ...spec,
      session: {
        ...spec.session,
        target: {
          definition: "image",
          groups: [{ name: "a", members: ["902b4a80-3ac2-40d5-b65e-86ac3e12f209"] }],
        },
      },
    };
    const env = ansibleStepEnv({ ...envInput(image), sshKeyFile: "/keys/id_ecdsa" });
    expect(env["ANSIBLE_PRIVATE_KEY_FILE"]).toBeUndefined();
  });
});
