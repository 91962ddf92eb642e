/**
 * deploy/ against the code it runs: every flag the Deployment passes is one `cfs-gitops controller`
 * takes, every CFS_GITOPS_* variable it sets is one the CLI reads, the probes and the Service hit
 * the served paths and port, and the Role grants exactly what the controller uses.
 * (test/integration/kube/rbac-deploy.test.ts applies the same files to a real API server.)
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { X509Certificate } from "node:crypto";
import type { V1Container, V1Deployment, V1Role, V1Secret, V1Service } from "@kubernetes/client-node";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { registerController } from "../../../src/cli/commands/controller.js";
import { parseTokens, TokenFileError } from "../../../src/server/api/index.js";

const ROOT = join(import.meta.dirname, "../../..");
const DEPLOY = join(ROOT, "deploy");

/**
 * Flags the Deployment needs that another piece of work registers (the kubernetes runner adds
 * `--runner`). Listed here so the gap is visible; a test below fails once a listed flag exists, so
 * the list cannot go stale.
 */
const PENDING_FLAGS: string[] = [];

const kustomization = parseAllDocuments(
  readFileSync(join(DEPLOY, "kustomization.yaml"), "utf8"),
)[0]!.toJS() as {
  resources: string[];
};
const objects = kustomization.resources.flatMap((file) =>
  parseAllDocuments(readFileSync(join(DEPLOY, file), "utf8")).map((d) => d.toJS() as { kind: string }),
);
const deployment = objects.find((o) => o.kind === "Deployment") as V1Deployment;
const container = deployment.spec!.template.spec!.containers[0] as V1Container;

function secrets(): V1Secret[] {
  return objects.filter((o) => o.kind === "Secret");
}

function services(): V1Service[] {
  return objects.filter((o) => o.kind === "Service");
}

function controllerFlags(): Set<string> {
  const program = new Command();
  registerController(program);
  const command = program.commands.find((c) => c.name() === "controller")!;
  return new Set(command.options.map((o) => o.long ?? ""));
}

/** The text of every module under src/cli, where settings are read. */
function cliSources(): string {
  const dir = join(ROOT, "src", "cli");
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => readFileSync(join(dir, f), "utf8"))
    .join("\n");
}

describe("deploy/", () => {
  it("lists every YAML file of the folder in kustomization.yaml", () => {
    const files = readdirSync(DEPLOY).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml");
    expect([...kustomization.resources].sort()).toEqual(files.sort());
  });

  it("passes the controller only flags it takes", () => {
    const known = controllerFlags();
    const flags = (container.args ?? []).filter((a) => a.startsWith("--"));
    expect(flags).toEqual(expect.arrayContaining(["--leader-elect", "--listen", "--runner"]));
    expect(container.args?.[0]).toBe("controller");
    const unknown = flags.filter((f) => !known.has(f) && !PENDING_FLAGS.includes(f));
    expect(unknown).toEqual([]);
  });

  it("keeps the pending-flag list honest: none of them is registered yet", () => {
    const known = controllerFlags();
    const registered = PENDING_FLAGS.filter((f) => known.has(f));
    expect(registered, "now registered: remove them from PENDING_FLAGS in this file").toEqual([]);
  });

  it("sets only environment variables the CLI reads", () => {
    const sources = cliSources();
    for (const { name } of container.env ?? []) {
      if (name === "HOME") continue; // for git, not for cfs-gitops
      expect(sources.includes(name), name).toBe(true);
    }
  });

  it("probes /healthz and /readyz on the port the controller listens on, which the Service targets", () => {
    const port = container.ports?.find((p) => p.name === "http");
    const listen = container.args?.[container.args.indexOf("--listen") + 1];
    expect(listen).toBe(`:${port?.containerPort}`);
    expect(container.livenessProbe?.httpGet).toMatchObject({ path: "/healthz", port: "http" });
    expect(container.readinessProbe?.httpGet).toMatchObject({ path: "/readyz", port: "http" });
    const service = services().find((o) => o.metadata?.name === "cfs-gitops");
    expect(service?.spec?.ports?.[0]?.targetPort).toBe("http");
    expect(service?.spec?.selector).toEqual(deployment.spec?.selector.matchLabels);
  });

  it("serves the REST API: --api-* flags on files of Secrets mounted read-only, a port the API Service targets", () => {
    const args = container.args ?? [];
    const flag = (name: string): string => {
      expect(args, name).toContain(name);
      return args[args.indexOf(name) + 1] ?? "";
    };
    const apiPort = container.ports?.find((p) => p.name === "api");
    expect(flag("--api-listen")).toBe(`:${apiPort?.containerPort}`);
    expect(args).not.toContain("--api-insecure");
    const pod = deployment.spec!.template.spec!;
    const secretOf = (file: string): string => {
      const mount = container.volumeMounts?.find((m) => file.startsWith(`${m.mountPath}/`));
      expect(mount?.readOnly, file).toBe(true);
      expect(mount?.subPath, `${file}: a subPath mount never sees the Secret change`).toBeUndefined();
      const secret = pod.volumes?.find((v) => v.name === mount?.name)?.secret?.secretName ?? "";
      const key = file.slice((mount?.mountPath.length ?? 0) + 1);
      const object = secrets().find((o) => o.metadata?.name === secret);
      expect(Object.keys(object?.stringData ?? {}), `${file}: key ${key} of Secret ${secret}`).toContain(key);
      return secret;
    };
    const tls = secretOf(flag("--api-cert"));
    expect(secretOf(flag("--api-key"))).toBe(tls);
    expect(secrets().find((o) => o.metadata?.name === tls)?.type).toBe("kubernetes.io/tls");
    secretOf(flag("--api-tokens-file"));
    const service = services().find((o) => o.metadata?.name === "cfs-gitops-api");
    expect(service?.spec?.selector).toEqual(deployment.spec?.selector.matchLabels);
    expect(service?.spec?.ports).toEqual([expect.objectContaining({ name: "https", targetPort: "api" })]);
  });

  it("ships API Secrets whose placeholders stop the controller instead of admitting anyone", () => {
    const tokens = secrets().find((o) => o.metadata?.name === "cfs-gitops-api-tokens");
    expect(() => parseTokens(tokens?.stringData?.["tokens"] ?? "")).toThrow(TokenFileError);
    const tls = secrets().find((o) => o.metadata?.name === "cfs-gitops-api-tls");
    expect(() => new X509Certificate(tls?.stringData?.["tls.crt"] ?? "")).toThrow();
  });

  it("never labels the controller's pods as a session's (the runner watches managed-by=cfs-gitops)", () => {
    expect(deployment.spec?.template.metadata?.labels?.["app.kubernetes.io/managed-by"]).toBeUndefined();
    expect(deployment.spec?.selector.matchLabels?.["app.kubernetes.io/component"]).toBe("controller");
  });

  it("runs non-root with a read-only root filesystem, writing only to emptyDirs", () => {
    const pod = deployment.spec!.template.spec!;
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    });
    const dataDir = container.args?.[container.args.indexOf("--data-dir") + 1];
    const mount = container.volumeMounts?.find((m) => m.mountPath === dataDir);
    expect(pod.volumes?.find((v) => v.name === mount?.name)?.emptyDir).toBeDefined();
    expect(container.resources?.requests).toBeDefined();
    expect(container.resources?.limits?.memory).toBeDefined();
  });

  it("grants the Role exactly: jobs create/get/list/watch/delete, pods and logs read, configmaps create, its Lease", () => {
    const role = objects.find((o) => o.kind === "Role") as V1Role;
    const grants = (role.rules ?? []).flatMap((rule) =>
      (rule.resources ?? []).flatMap((resource) =>
        (rule.verbs ?? []).map(
          (verb) =>
            `${rule.apiGroups?.join(",")}/${resource}:${verb}${rule.resourceNames ? `@${rule.resourceNames.join(",")}` : ""}`,
        ),
      ),
    );
    expect(grants.sort()).toEqual(
      [
        "batch/jobs:create",
        "batch/jobs:get",
        "batch/jobs:list",
        "batch/jobs:watch",
        "batch/jobs:delete",
        "/pods:get",
        "/pods:list",
        "/pods:watch",
        "/pods/log:get",
        "/pods/log:list",
        "/pods/log:watch",
        "/configmaps:create",
        "coordination.k8s.io/leases:create",
        "coordination.k8s.io/leases:get@cfs-gitops",
        "coordination.k8s.io/leases:update@cfs-gitops",
      ].sort(),
    );
    expect(objects.some((o) => o.kind.startsWith("Cluster"))).toBe(false);
  });
});
