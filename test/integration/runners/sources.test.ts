/**
 * Layers and additional inventories that name a source clone through the source: its clone_url,
 * its credentials (read from <data-dir>/secrets/<secret_name>/, never from the repository) and its
 * CA certificate (<data-dir>/configmaps/<configmap_name>/). Real git over HTTP(S) with basic auth,
 * real ansible-playbook. The credentials reach no argv, log, run file or playbook environment.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect, type AddressInfo } from "node:net";
import { join } from "node:path";
import { createServer as createTlsServer } from "node:tls";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { SourceManifest } from "../../../src/api/index.js";
import { createLocalRunner } from "../../../src/runners/local/index.js";
import type { Runner } from "../../../src/runners/types.js";
import {
  isComplete,
  layer,
  makeLayerRepo,
  play,
  runSpec,
  tempDir,
  waitForRun,
} from "../../helpers/ansible-fixtures.js";
import { startGitHttpServer } from "../../helpers/git-http-server.js";
import { writeKubePki } from "../../helpers/kube-pki.js";
import { basicAuthSecrets, describeHit, scanForSecrets } from "../../helpers/scan-for-secrets.js";

const AUTH = { username: "source-user", password: "S0urce-Pa55word-never-shown" };
const SECRETS = basicAuthSecrets("source password", AUTH);

const runners: Runner[] = [];
const closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const runner of runners.splice(0)) await runner.close();
  for (const close of closers.splice(0)) await close();
});

async function newRunner(dataDir: string): Promise<Runner> {
  const runner = await createLocalRunner({
    dataDir,
    log: pino({ level: "silent" }),
    maxConcurrent: 2,
    killGraceMs: 2_000,
    cloneRetry: { attempts: 1, delayMs: 0, maxDelayMs: 0 },
  });
  runners.push(runner);
  return runner;
}

/** `<dataDir>/secrets/<name>/username` and `password`, as a mounted Secret lays them out. */
function writeSecret(dataDir: string, name: string): void {
  const dir = join(dataDir, "secrets", name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "username"), `${AUTH.username}\n`, { mode: 0o600 });
  writeFileSync(join(dir, "password"), `${AUTH.password}\n`, { mode: 0o600 });
}

/** A playbook that writes its environment (what the AEE gives it) to `out`. */
function envPlaybook(out: string): string {
  return play(`    - name: dump the environment\n      ansible.builtin.shell: env > "${out}"\n`);
}

function source(cloneUrl: string, extra: Partial<SourceManifest> = {}): SourceManifest {
  return {
    apiVersion: "cfs-gitops/v1",
    kind: "Source",
    name: "site-vcs",
    clone_url: cloneUrl,
    credentials: { authentication_method: "password", secret_name: "site-creds" },
    ...extra,
  };
}

/** A TLS front (certificate for 127.0.0.1 from a fresh CA) for a plain HTTP server on `port`. */
async function tlsFront(dir: string, port: number): Promise<{ port: number; caPem: string }> {
  const pki = await writeKubePki(dir);
  const server = createTlsServer(
    { cert: readFileSync(pki.servingCertPath), key: readFileSync(pki.servingKeyPath) },
    (socket) => {
      const upstream = connect(port, "127.0.0.1");
      socket.pipe(upstream).pipe(socket);
      socket.on("error", () => upstream.destroy());
      upstream.on("error", () => socket.destroy());
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, caPem: pki.caPem };
}

describe("local runner: sources", () => {
  it("clones a layer and the additional inventory with the source's credentials, and shows them nowhere", async () => {
    const root = tempDir();
    const envOut = join(root, "env.txt");
    makeLayerRepo(root, "layer", { "site.yml": envPlaybook(envOut) });
    makeLayerRepo(root, "inventory", { "hosts.yaml": "all:\n  hosts:\n    localhost:\n" });
    const server = await startGitHttpServer({ root, auth: AUTH });
    closers.push(() => server.close());
    const dataDir = join(root, "data");
    writeSecret(dataDir, "site-creds");
    const runner = await newRunner(dataDir);
    const url = server.url("layer.git");
    const spec = runSpec(
      "via-source",
      [layer(0, { source: "site-vcs", clone_url: url, playbook: "site.yml" })],
      {
        additionalInventory: { source: "site-vcs", clone_url: server.url("inventory.git") },
        sources: { "site-vcs": source(url) },
      },
    );

    await runner.start(spec);
    const obs = await waitForRun(runner, "via-source", isComplete);

    expect(obs).toMatchObject({ succeeded: "true", reason: null });
    expect(obs.steps.find((s) => s.name === "git-clone-hosts")?.status).toBe("succeeded");
    expect(server.requests.filter((r) => r.status === 200).length).toBeGreaterThan(0);
    const env = readFileSync(envOut, "utf8");
    expect(env).toContain(`SESSION_CLONE_URL=${url}`);
    const hits = scanForSecrets({
      secrets: SECRETS,
      dirs: [join(dataDir, "runs")],
      texts: { "playbook environment": env, observation: JSON.stringify(obs) },
    });
    expect(hits.map(describeHit)).toEqual([]);
  });

  it("fails the layer, naming the files to create, when the source's secret is missing", async () => {
    const root = tempDir();
    makeLayerRepo(root, "layer", { "site.yml": envPlaybook(join(root, "never.txt")) });
    const server = await startGitHttpServer({ root, auth: AUTH });
    closers.push(() => server.close());
    const dataDir = join(root, "data");
    const runner = await newRunner(dataDir);
    const url = server.url("layer.git");
    const spec = runSpec(
      "no-secret",
      [layer(0, { source: "site-vcs", clone_url: url, playbook: "site.yml" })],
      {
        sources: { "site-vcs": source(url) },
      },
    );

    await runner.start(spec);
    const obs = await waitForRun(runner, "no-secret", isComplete);

    expect(obs.succeeded).toBe("false");
    expect(obs.reason).toContain("git-clone-0: source site-vcs: its credentials (credentials.secret_name)");
    expect(obs.reason).toContain(join(dataDir, "secrets", "site-creds", "password"));
    expect(obs.layers[0]?.status).toBe("failed");
    expect(server.requests).toEqual([]);
  });

  it("does not give the source's credentials to a layer that names its URL without the source", async () => {
    const root = tempDir();
    makeLayerRepo(root, "layer", { "site.yml": envPlaybook(join(root, "never.txt")) });
    const server = await startGitHttpServer({ root, auth: AUTH });
    closers.push(() => server.close());
    const dataDir = join(root, "data");
    writeSecret(dataDir, "site-creds");
    const runner = await newRunner(dataDir);
    const url = server.url("layer.git");
    const spec = runSpec("plain-url", [layer(0, { clone_url: url, playbook: "site.yml" })], {
      sources: { "site-vcs": source(url) },
    });

    await runner.start(spec);
    const obs = await waitForRun(runner, "plain-url", isComplete);

    expect(obs.succeeded).toBe("false");
    expect(server.requests.every((r) => r.authorization === null)).toBe(true);
  });

  it("verifies the server with the source's CA certificate over HTTPS", async () => {
    const root = tempDir();
    const out = join(root, "ran.txt");
    makeLayerRepo(root, "layer", { "site.yml": envPlaybook(out) });
    const server = await startGitHttpServer({ root, auth: AUTH });
    closers.push(() => server.close());
    const front = await tlsFront(root, Number(new URL(server.url("x")).port));
    const dataDir = join(root, "data");
    writeSecret(dataDir, "site-creds");
    const url = `https://127.0.0.1:${front.port}/layer.git`;
    const runner = await newRunner(dataDir);
    const layers = [layer(0, { source: "site-vcs", clone_url: url, playbook: "site.yml" })];

    // Without the CA, git refuses the server's certificate.
    const untrusted = runSpec("no-ca", layers, { sources: { "site-vcs": source(url) } });
    await runner.start(untrusted);
    const refused = await waitForRun(runner, "no-ca", isComplete);
    expect(refused.succeeded).toBe("false");
    expect(refused.reason).toMatch(/certificate/i);

    mkdirSync(join(dataDir, "configmaps", "site-ca"), { recursive: true });
    writeFileSync(join(dataDir, "configmaps", "site-ca", "ca.crt"), front.caPem);
    const trusted = runSpec("with-ca", layers, {
      sources: { "site-vcs": source(url, { ca_cert: { configmap_name: "site-ca" } }) },
    });
    await runner.start(trusted);
    const obs = await waitForRun(runner, "with-ca", isComplete);
    expect(obs).toMatchObject({ succeeded: "true", reason: null });
    expect(readFileSync(out, "utf8")).toContain("SESSION_NAME=with-ca");
  });
});
