/**
 * A real Kubernetes control plane for integration tests: etcd, kube-apiserver and
 * kube-controller-manager built from Go modules by test/kube/build.sh, on free 127.0.0.1 ports with
 * data in a temp dir. There is no kubelet and no scheduler: tests play the kubelet with
 * kube-kubelet.ts. Token authentication (an admin in system:masters, ServiceAccount tokens through
 * TokenRequest), Node,RBAC authorization, a minimal set of admission plugins.
 */
import { randomBytes } from "node:crypto";
import { existsSync, realpathSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { writeKubePki, type KubePki } from "./kube-pki.js";
import {
  freePorts,
  removeWhenGone,
  startServer,
  waitUntilHealthy,
  type ServerProcess,
} from "./kube-process.js";

/** Where test/kube/build.sh puts the binaries. */
export const KUBE_BIN_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../kube/bin");

/** The service CIDR; the `kubernetes` service gets its first address, 10.0.0.1. */
export const SERVICE_CLUSTER_IP_RANGE = "10.0.0.0/24";

/** The controllers the suite needs: Jobs create pods, finished Jobs expire, owners collect, SAs exist. */
export const CONTROLLERS = [
  "job",
  "ttl-after-finished",
  "garbagecollector",
  "serviceaccount-token",
  "serviceaccount",
];

/** The plain data of a running cluster: serializable, so a globalSetup can `provide` it to workers. */
export interface KubeClusterInfo {
  /** `https://127.0.0.1:<port>`. */
  server: string;
  /** A kubeconfig (context `admin`) for the admin user, usable by kubectl and client-node. */
  kubeconfigPath: string;
  /** Bearer token of `admin`, in group system:masters. */
  adminToken: string;
  /** The cluster CA (PEM) that signed the serving certificate. */
  caPem: string;
  /** Temp dir with data, keys and `logs/<component>.log`. */
  dataDir: string;
  /** `http://127.0.0.1:<port>` of etcd (for tests that compact its history). */
  etcdUrl: string;
}

/** A running cluster. */
export interface KubeCluster extends KubeClusterInfo {
  /** A client-node KubeConfig as admin, or as the bearer `token` when given. */
  kubeConfig(token?: string): KubeConfig;
  /** A fresh token of a ServiceAccount (TokenRequest; the account must exist). */
  tokenFor(serviceAccount: string, namespace: string): Promise<string>;
  /** Stops the processes (controller-manager, apiserver, etcd) and removes the data dir. */
  stop(): Promise<void>;
}

/** Options of startKubeCluster. */
export interface StartKubeClusterOptions {
  /** Directory with etcd, kube-apiserver, kube-controller-manager; default test/kube/bin. */
  binDir?: string;
  /** Keep the data dir (logs, etcd data) after stop, for debugging; default false. */
  keepData?: boolean;
  /** How long each component may take to become healthy; default 90 s. */
  startTimeoutMs?: number;
}

const BINARIES = ["etcd", "kube-apiserver", "kube-controller-manager"] as const;

interface Layout {
  dir: string;
  logs: string;
  bin: Record<(typeof BINARIES)[number], string>;
  ports: { etcdClient: number; etcdPeer: number; apiserver: number; controllerManager: number };
  pki: KubePki;
  adminToken: string;
  controllerManagerToken: string;
  timeoutMs: number;
}

/**
 * Starts etcd, kube-apiserver and kube-controller-manager and waits until each is healthy. Throws
 * (telling to run test/kube/build.sh) when a binary is missing, and with the end of the log when a
 * component fails to start; whatever did start is stopped again.
 */
export async function startKubeCluster(options: StartKubeClusterOptions = {}): Promise<KubeCluster> {
  const bin = findBinaries(options.binDir ?? KUBE_BIN_DIR);
  const dir = await mkdtemp(join(tmpdir(), "cfs-kube-"));
  if (options.keepData !== true) removeWhenGone(dir);
  const started: ServerProcess[] = [];
  const stop = async () => {
    for (const proc of started.reverse()) await proc.stop();
    if (options.keepData !== true) await rm(dir, { recursive: true, force: true });
  };
  try {
    const layout = await prepare({ dir, bin, timeoutMs: options.startTimeoutMs ?? 90_000 });
    started.push(await startEtcd(layout));
    started.push(await startApiserver(layout));
    started.push(await startControllerManager(layout));
    return cluster(layout, stop);
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A client-node KubeConfig for a cluster, as admin or as the bearer `token`. */
export function kubeConfigFor(
  info: Pick<KubeClusterInfo, "server" | "caPem" | "adminToken">,
  token?: string,
): KubeConfig {
  const kc = new KubeConfig();
  const user = token === undefined ? "admin" : "token";
  kc.loadFromOptions({
    clusters: [
      {
        name: "test",
        server: info.server,
        caData: Buffer.from(info.caPem).toString("base64"),
        skipTLSVerify: false,
      },
    ],
    users: [{ name: user, token: token ?? info.adminToken }],
    contexts: [{ name: user, cluster: "test", user }],
    currentContext: user,
  });
  return kc;
}

/** A fresh ServiceAccount token through the TokenRequest API, valid for an hour. */
export async function serviceAccountToken(
  info: Pick<KubeClusterInfo, "server" | "caPem" | "adminToken">,
  account: { name: string; namespace: string },
): Promise<string> {
  const core = kubeConfigFor(info).makeApiClient(CoreV1Api);
  const answer = await core.createNamespacedServiceAccountToken({
    name: account.name,
    namespace: account.namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const token = answer.status?.token;
  if (token === undefined) throw new Error(`no token for ${account.namespace}/${account.name}`);
  return token;
}

function cluster(layout: Layout, stop: () => Promise<void>): KubeCluster {
  const info: KubeClusterInfo = {
    server: `https://127.0.0.1:${layout.ports.apiserver}`,
    kubeconfigPath: join(layout.dir, "admin.kubeconfig"),
    adminToken: layout.adminToken,
    caPem: layout.pki.caPem,
    dataDir: layout.dir,
    etcdUrl: `http://127.0.0.1:${layout.ports.etcdClient}`,
  };
  let stopped: Promise<void> | null = null;
  return {
    ...info,
    kubeConfig: (token) => kubeConfigFor(info, token),
    tokenFor: (name, namespace) => serviceAccountToken(info, { name, namespace }),
    stop: () => (stopped ??= stop()),
  };
}

function findBinaries(binDir: string): Layout["bin"] {
  const missing = BINARIES.filter((name) => !existsSync(join(binDir, name)));
  if (missing.length > 0) {
    throw new Error(
      `Kubernetes test binaries missing in ${binDir}: ${missing.join(", ")}. ` +
        `Run test/kube/build.sh (builds them from Go modules; needs Go >= 1.26, about 9 min on 2 cores the first time).`,
    );
  }
  const path = (name: (typeof BINARIES)[number]) => realpathSync(join(binDir, name));
  return {
    etcd: path("etcd"),
    "kube-apiserver": path("kube-apiserver"),
    "kube-controller-manager": path("kube-controller-manager"),
  };
}

async function prepare(args: { dir: string; bin: Layout["bin"]; timeoutMs: number }): Promise<Layout> {
  const logs = join(args.dir, "logs");
  await mkdir(logs);
  const [etcdClient = 0, etcdPeer = 0, apiserver = 0, controllerManager = 0] = await freePorts(4);
  const layout: Layout = {
    ...args,
    logs,
    ports: { etcdClient, etcdPeer, apiserver, controllerManager },
    pki: await writeKubePki(args.dir),
    adminToken: randomBytes(24).toString("hex"),
    controllerManagerToken: randomBytes(24).toString("hex"),
  };
  await writeFile(join(args.dir, "tokens.csv"), tokenFile(layout), { mode: 0o600 });
  const server = `https://127.0.0.1:${apiserver}`;
  await writeKubeconfig({ path: join(args.dir, "admin.kubeconfig"), server, layout, user: "admin" });
  await writeKubeconfig({
    path: join(args.dir, "controller-manager.kubeconfig"),
    server,
    layout,
    user: "controller-manager",
  });
  return layout;
}

/** `--token-auth-file`: token,user,uid,"groups". */
function tokenFile(layout: Layout): string {
  return [
    `${layout.adminToken},admin,admin,"system:masters"`,
    `${layout.controllerManagerToken},system:kube-controller-manager,system:kube-controller-manager`,
  ].join("\n");
}

async function writeKubeconfig(args: {
  path: string;
  server: string;
  layout: Layout;
  user: "admin" | "controller-manager";
}) {
  const token = args.user === "admin" ? args.layout.adminToken : args.layout.controllerManagerToken;
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: "test",
        cluster: {
          server: args.server,
          "certificate-authority-data": Buffer.from(args.layout.pki.caPem).toString("base64"),
        },
      },
    ],
    users: [{ name: args.user, user: { token } }],
    contexts: [{ name: args.user, context: { cluster: "test", user: args.user } }],
    "current-context": args.user,
  };
  await writeFile(args.path, JSON.stringify(config, null, 2), { mode: 0o600 });
}

async function startEtcd(layout: Layout): Promise<ServerProcess> {
  const { etcdClient, etcdPeer } = layout.ports;
  const client = `http://127.0.0.1:${etcdClient}`;
  const peer = `http://127.0.0.1:${etcdPeer}`;
  const proc = startServer({
    name: "etcd",
    binary: layout.bin.etcd,
    logPath: join(layout.logs, "etcd.log"),
    args: [
      "--name=test",
      `--data-dir=${join(layout.dir, "etcd")}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=test=${peer}`,
      "--unsafe-no-fsync",
      "--log-level=warn",
    ],
  });
  await waitUntilHealthy({ process: proc, url: `${client}/health`, timeoutMs: layout.timeoutMs });
  return proc;
}

/** Default-on admission plugins the tests do not need (kube-apiserver v1.36 DefaultOffAdmissionPlugins). */
const DISABLED_ADMISSION = [
  "LimitRanger",
  "DefaultStorageClass",
  "PersistentVolumeClaimResize",
  "DefaultTolerationSeconds",
  "MutatingAdmissionWebhook",
  "ValidatingAdmissionWebhook",
  "ResourceQuota",
  "StorageObjectInUseProtection",
  "PodGroupProtection",
  "Priority",
  "TaintNodesByCondition",
  "RuntimeClass",
  "CertificateApproval",
  "CertificateSigning",
  "ClusterTrustBundleAttest",
  "CertificateSubjectRestriction",
  "DefaultIngressClass",
  "PodSecurity",
  "PodTopologyLabels",
  "MutatingAdmissionPolicy",
  "ValidatingAdmissionPolicy",
  "PodGroupWorkloadExists",
  "NodeDeclaredFeatureValidator",
  "JobValidation",
  "PodResizeValidator",
];

async function startApiserver(layout: Layout): Promise<ServerProcess> {
  const { pki, ports } = layout;
  const proc = startServer({
    name: "kube-apiserver",
    binary: layout.bin["kube-apiserver"],
    logPath: join(layout.logs, "kube-apiserver.log"),
    args: [
      `--etcd-servers=http://127.0.0.1:${ports.etcdClient}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${ports.apiserver}`,
      `--cert-dir=${join(layout.dir, "apiserver-certs")}`,
      `--tls-cert-file=${pki.servingCertPath}`,
      `--tls-private-key-file=${pki.servingKeyPath}`,
      `--token-auth-file=${join(layout.dir, "tokens.csv")}`,
      "--authorization-mode=Node,RBAC",
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${pki.serviceAccountPublicKeyPath}`,
      `--service-account-signing-key-file=${pki.serviceAccountPrivateKeyPath}`,
      `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
      "--enable-admission-plugins=NamespaceLifecycle,ServiceAccount,NodeRestriction",
      `--disable-admission-plugins=${DISABLED_ADMISSION.join(",")}`,
      "--enable-priority-and-fairness=false",
      // Jobs are watched straight from etcd, so a test that compacts etcd gets a real 410 Gone.
      "--watch-cache-sizes=jobs.batch#0",
      "--profiling=false",
      "--v=1",
    ],
  });
  await waitUntilHealthy({
    process: proc,
    url: `https://127.0.0.1:${ports.apiserver}/readyz`,
    ca: pki.caPem,
    token: layout.adminToken,
    timeoutMs: layout.timeoutMs,
  });
  return proc;
}

async function startControllerManager(layout: Layout): Promise<ServerProcess> {
  const kubeconfig = join(layout.dir, "controller-manager.kubeconfig");
  const port = layout.ports.controllerManager;
  const proc = startServer({
    name: "kube-controller-manager",
    binary: layout.bin["kube-controller-manager"],
    logPath: join(layout.logs, "kube-controller-manager.log"),
    args: [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${port}`,
      `--cert-dir=${join(layout.dir, "controller-manager-certs")}`,
      `--controllers=${CONTROLLERS.join(",")}`,
      "--use-service-account-credentials=true",
      `--service-account-private-key-file=${layout.pki.serviceAccountPrivateKeyPath}`,
      `--root-ca-file=${layout.pki.caCertPath}`,
      `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
      "--leader-elect=false",
      "--profiling=false",
      "--v=1",
    ],
  });
  await waitUntilHealthy({
    process: proc,
    url: `https://127.0.0.1:${port}/healthz`,
    insecure: true,
    timeoutMs: layout.timeoutMs,
  });
  return proc;
}
