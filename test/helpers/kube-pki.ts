/**
 * Keys and certificates for a throwaway test control plane: a CA, a serving certificate for
 * 127.0.0.1 signed by it (openssl), and the service account signing key pair (Node's crypto).
 */
import { execFile } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Paths of the generated files, plus the CA in PEM for clients. */
export interface KubePki {
  caCertPath: string;
  caPem: string;
  servingCertPath: string;
  servingKeyPath: string;
  serviceAccountPublicKeyPath: string;
  serviceAccountPrivateKeyPath: string;
}

/** In-cluster names the serving certificate also covers (the `kubernetes` service at 10.0.0.1). */
const SERVING_SANS = [
  "IP:127.0.0.1",
  "IP:10.0.0.1",
  "DNS:localhost",
  "DNS:kubernetes",
  "DNS:kubernetes.default",
  "DNS:kubernetes.default.svc",
];

/** Writes a fresh CA, serving certificate and service account keys into `dir` (valid two days). */
export async function writeKubePki(dir: string): Promise<KubePki> {
  const p = (name: string) => join(dir, name);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await openssl([
    "req",
    "-x509",
    ...ec,
    "-keyout",
    p("ca.key"),
    "-out",
    p("ca.crt"),
    "-days",
    "2",
    "-subj",
    "/CN=cfs-gitops-test-ca",
  ]);
  await openssl([
    "req",
    ...ec,
    "-keyout",
    p("apiserver.key"),
    "-out",
    p("apiserver.csr"),
    "-subj",
    "/CN=kube-apiserver",
  ]);
  await writeFile(
    p("apiserver.ext"),
    [
      `subjectAltName=${SERVING_SANS.join(",")}`,
      "basicConstraints=CA:FALSE",
      "keyUsage=digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth",
    ].join("\n"),
  );
  await openssl([
    "x509",
    "-req",
    "-in",
    p("apiserver.csr"),
    "-CA",
    p("ca.crt"),
    "-CAkey",
    p("ca.key"),
    "-set_serial",
    String(Date.now()),
    "-days",
    "2",
    "-extfile",
    p("apiserver.ext"),
    "-out",
    p("apiserver.crt"),
  ]);
  const sa = generateKeyPairSync("ec", { namedCurve: "P-256" });
  await writeFile(p("sa.key"), sa.privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  await writeFile(p("sa.pub"), sa.publicKey.export({ type: "spki", format: "pem" }));
  return {
    caCertPath: p("ca.crt"),
    caPem: await readFile(p("ca.crt"), "utf8"),
    servingCertPath: p("apiserver.crt"),
    servingKeyPath: p("apiserver.key"),
    serviceAccountPublicKeyPath: p("sa.pub"),
    serviceAccountPrivateKeyPath: p("sa.key"),
  };
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run("openssl", args);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? "";
    throw new Error(`openssl ${args[0] ?? ""} failed: ${stderr || String(error)}`, { cause: error });
  }
}
