/**
 * SSH commit signatures checked in-process, the way `git verify-commit` checks them with
 * `gpg.ssh.allowedSignersFile` (ssh-keygen -Y find-principals, then -Y verify -n git), without a
 * process per commit: the SSHSIG format (openssh PROTOCOL.sshsig) and git's allowed-signers file.
 * Ed25519, RSA (rsa-sha2-256/512) and ECDSA (nistp256/384/521) keys; anything else (security keys,
 * certificates) is left to git (`null`). Pure: no I/O.
 */
import { createHash, createPublicKey, verify, type KeyObject } from "node:crypto";

/** One line of an allowed-signers file. */
export interface AllowedSigner {
  principals: string;
  /** The key blob (SSH wire format) as written, base64. */
  key: string;
  namespaces: string | null;
  validAfter: Date | null;
  validBefore: Date | null;
  certAuthority: boolean;
}

/** The outcome for one SSH signature; null when it must be left to git. */
export interface SshVerdict {
  reason: "good" | "unknown-key" | "bad-signature" | "expired-key";
  principal: string | null;
  /** `SHA256:<base64>` of the signing key, as ssh-keygen prints it. */
  fingerprint: string;
  detail: string;
}

const ARMOR = /^-----BEGIN SSH SIGNATURE-----\n([\s\S]*?)\n-----END SSH SIGNATURE-----\s*$/;
const KEY_TYPES = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-\S+|\S+-cert-v01@openssh\.com)$/;

/** True when `signature` is an armored SSH signature (the gpgsig header of an SSH-signed commit). */
export function isSshSignature(signature: string): boolean {
  return signature.startsWith("-----BEGIN SSH SIGNATURE-----");
}

/** Parses git's allowed-signers file (`principals [options] keytype base64 [comment]`); bad lines are skipped. */
export function parseAllowedSigners(text: string): AllowedSigner[] {
  const signers: AllowedSigner[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const signer = parseSignerLine(line);
    if (signer) signers.push(signer);
  }
  return signers;
}

function parseSignerLine(line: string): AllowedSigner | null {
  const tokens = splitTokens(line);
  const principals = tokens.shift();
  if (principals === undefined) return null;
  let options = "";
  if (tokens[0] !== undefined && !KEY_TYPES.test(tokens[0])) options = tokens.shift() ?? "";
  const [type, key] = tokens;
  if (type === undefined || key === undefined || !KEY_TYPES.test(type)) return null;
  const parsed = parseOptions(options);
  return parsed === null ? null : { principals: unquote(principals), key, ...parsed };
}

/** Splits on spaces outside double quotes. */
function splitTokens(line: string): string[] {
  const tokens: string[] = [];
  let current = "";
  let quoted = false;
  for (const char of line) {
    if (char === '"') quoted = !quoted;
    if (!quoted && (char === " " || char === "\t")) {
      if (current !== "") tokens.push(current);
      current = "";
    } else current += char;
  }
  if (current !== "") tokens.push(current);
  return tokens;
}

/** The options of a line; null for an option ssh-keygen does not know (it then ignores the line). */
function parseOptions(options: string): Omit<AllowedSigner, "principals" | "key"> | null {
  const out: Omit<AllowedSigner, "principals" | "key"> = {
    namespaces: null,
    validAfter: null,
    validBefore: null,
    certAuthority: false,
  };
  for (const option of splitOptions(options)) {
    const [name = "", ...rest] = option.split("=");
    const value = unquote(rest.join("="));
    const key = name.toLowerCase();
    if (key === "cert-authority") out.certAuthority = true;
    else if (key === "namespaces") out.namespaces = value;
    else if (key === "valid-after") out.validAfter = parseSshTime(value);
    else if (key === "valid-before") out.validBefore = parseSshTime(value);
    else return null;
  }
  return out;
}

/** Splits on commas outside double quotes. */
function splitOptions(options: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  for (const char of options) {
    if (char === '"') quoted = !quoted;
    if (!quoted && char === ",") {
      parts.push(current);
      current = "";
    } else current += char;
  }
  if (current !== "") parts.push(current);
  return parts;
}

function unquote(value: string): string {
  return value.startsWith('"') && value.endsWith('"') && value.length >= 2 ? value.slice(1, -1) : value;
}

/** `YYYYMMDD[HHMM[SS]][Z]`: UTC with `Z`, else local time (as ssh-keygen reads it); invalid: never valid. */
export function parseSshTime(value: string): Date {
  const match = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?(Z?)$/i.exec(value);
  if (!match) return new Date(Number.NaN);
  const [y, mo, d, h, mi, s] = match.slice(1, 7).map((part) => Number(part ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return match[7] ? new Date(Date.UTC(y, mo - 1, d, h, mi, s)) : new Date(y, mo - 1, d, h, mi, s);
}

/** Reads SSH wire-format fields (uint32 length-prefixed strings). */
class Wire {
  private at = 0;
  constructor(private readonly buffer: Buffer) {}

  string(): Buffer {
    if (this.at + 4 > this.buffer.length) throw new Error("truncated");
    const length = this.buffer.readUInt32BE(this.at);
    const start = this.at + 4;
    if (start + length > this.buffer.length) throw new Error("truncated");
    this.at = start + length;
    return this.buffer.subarray(start, this.at);
  }

  uint32(): number {
    if (this.at + 4 > this.buffer.length) throw new Error("truncated");
    const value = this.buffer.readUInt32BE(this.at);
    this.at += 4;
    return value;
  }

  take(length: number): Buffer {
    if (this.at + length > this.buffer.length) throw new Error("truncated");
    const out = this.buffer.subarray(this.at, this.at + length);
    this.at += length;
    return out;
  }
}

/** The parts of an SSHSIG blob. */
interface SshSig {
  publicKey: Buffer;
  namespace: string;
  reserved: Buffer;
  hashAlgorithm: string;
  signatureType: string;
  signature: Buffer;
}

function parseSshSig(armored: string): SshSig | null {
  const match = ARMOR.exec(armored.replace(/\r/g, "").trim());
  if (!match?.[1]) return null;
  const blob = Buffer.from(match[1].replace(/\s+/g, ""), "base64");
  try {
    const wire = new Wire(blob);
    if (wire.take(6).toString("latin1") !== "SSHSIG" || wire.uint32() !== 1) return null;
    const publicKey = wire.string();
    const namespace = wire.string().toString("utf8");
    const reserved = wire.string();
    const hashAlgorithm = wire.string().toString("utf8");
    const sig = new Wire(wire.string());
    return {
      publicKey,
      namespace,
      reserved,
      hashAlgorithm,
      signatureType: sig.string().toString("utf8"),
      signature: sig.string(),
    };
  } catch {
    return null;
  }
}

/** The key of an SSH public key blob, or null for a type left to git. */
function keyObject(blob: Buffer): { type: string; key: KeyObject } | null {
  const wire = new Wire(blob);
  const type = wire.string().toString("utf8");
  if (type === "ssh-ed25519") {
    const x = wire.string().toString("base64url");
    return { type, key: createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" }) };
  }
  if (type === "ssh-rsa") {
    const e = unsigned(wire.string()).toString("base64url");
    const n = unsigned(wire.string()).toString("base64url");
    return { type, key: createPublicKey({ key: { kty: "RSA", e, n }, format: "jwk" }) };
  }
  const curve = /^ecdsa-sha2-nistp(256|384|521)$/.exec(type)?.[1];
  if (curve) {
    wire.string();
    const point = wire.string();
    const size = (point.length - 1) / 2;
    const jwk = {
      kty: "EC",
      crv: `P-${curve}`,
      x: point.subarray(1, 1 + size).toString("base64url"),
      y: point.subarray(1 + size).toString("base64url"),
    };
    return { type, key: createPublicKey({ key: jwk, format: "jwk" }) };
  }
  return null;
}

/** An mpint without its sign byte. */
function unsigned(mpint: Buffer): Buffer {
  let start = 0;
  while (start < mpint.length - 1 && mpint[start] === 0) start += 1;
  return mpint.subarray(start);
}

/** `SHA256:<base64 without padding>` of a key blob. */
export function sshFingerprint(blob: Buffer): string {
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

function checkSignature(input: {
  sig: SshSig;
  key: { type: string; key: KeyObject };
  payload: Buffer;
}): boolean {
  const { sig, key, payload } = input;
  if (sig.hashAlgorithm !== "sha256" && sig.hashAlgorithm !== "sha512") return false;
  const digest = createHash(sig.hashAlgorithm).update(payload).digest();
  const signed = Buffer.concat([
    Buffer.from("SSHSIG", "latin1"),
    sshString(Buffer.from(sig.namespace, "utf8")),
    sshString(sig.reserved),
    sshString(Buffer.from(sig.hashAlgorithm, "utf8")),
    sshString(digest),
  ]);
  try {
    return verifyWith({
      type: sig.signatureType,
      keyType: key.type,
      key: key.key,
      signed,
      signature: sig.signature,
    });
  } catch {
    return false;
  }
}

function verifyWith(input: {
  type: string;
  keyType: string;
  key: KeyObject;
  signed: Buffer;
  signature: Buffer;
}): boolean {
  const { type, keyType, key, signed, signature } = input;
  if (type === "ssh-ed25519" && keyType === "ssh-ed25519") return verify(null, signed, key, signature);
  if ((type === "rsa-sha2-256" || type === "rsa-sha2-512") && keyType === "ssh-rsa") {
    return verify(type === "rsa-sha2-256" ? "sha256" : "sha512", signed, key, signature);
  }
  return type === keyType && verifyEcdsa({ type, key, signed, signature });
}

function verifyEcdsa(input: { type: string; key: KeyObject; signed: Buffer; signature: Buffer }): boolean {
  const curve = /^ecdsa-sha2-nistp(256|384|521)$/.exec(input.type)?.[1];
  if (!curve) return false;
  const wire = new Wire(input.signature);
  const size = curve === "521" ? 66 : Number(curve) / 8;
  const pad = (n: Buffer): Buffer =>
    Buffer.concat([Buffer.alloc(Math.max(0, size - unsigned(n).length)), unsigned(n)]);
  const rs = Buffer.concat([pad(wire.string()), pad(wire.string())]);
  const hash = curve === "256" ? "sha256" : curve === "384" ? "sha384" : "sha512";
  return verify(hash, input.signed, { key: input.key, dsaEncoding: "ieee-p1363" }, rs);
}

function sshString(data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  return Buffer.concat([length, data]);
}

/**
 * Checks the armored SSH signature of `payload` (the commit without its signature header) against
 * the allowed signers at `time` (the committer time, as git passes it to ssh-keygen); null when the
 * key type is one this module leaves to git.
 */
export function verifySshSignature(input: {
  payload: Buffer;
  armored: string;
  allowed: readonly AllowedSigner[];
  time: Date;
}): SshVerdict | null {
  const sig = parseSshSig(input.armored);
  if (!sig)
    return { reason: "bad-signature", principal: null, fingerprint: "", detail: "malformed SSH signature" };
  let key: { type: string; key: KeyObject } | null;
  try {
    key = keyObject(sig.publicKey);
  } catch {
    return { reason: "bad-signature", principal: null, fingerprint: "", detail: "malformed SSH public key" };
  }
  if (key === null || input.allowed.some((s) => s.certAuthority)) return null;
  const fingerprint = sshFingerprint(sig.publicKey);
  // As git: a signature that does not check out is bad whoever's key it is.
  if (sig.namespace !== "git" || !checkSignature({ sig, key, payload: input.payload })) {
    return { reason: "bad-signature", principal: null, fingerprint, detail: "Signature verification failed" };
  }
  // As ssh-keygen -Y find-principals (key and validity), then -Y verify -n git (namespaces).
  const lines = input.allowed.filter((s) => sameKey(s.key, sig.publicKey));
  if (lines.length === 0)
    return { reason: "unknown-key", principal: null, fingerprint, detail: "No principal matched." };
  const valid = lines.filter((s) => isValidAt(s, input.time));
  if (valid.length === 0) {
    return {
      reason: "expired-key",
      principal: null,
      fingerprint,
      detail: "key has expired (valid-after/valid-before)",
    };
  }
  const signer = valid.find((s) => namespaceAllowed(s.namespaces));
  if (!signer) {
    return {
      reason: "bad-signature",
      principal: null,
      fingerprint,
      detail: "key not allowed for namespace git",
    };
  }
  return { reason: "good", principal: signer.principals.split(",")[0] ?? "", fingerprint, detail: "" };
}

function sameKey(base64: string, blob: Buffer): boolean {
  return Buffer.from(base64, "base64").equals(blob);
}

function isValidAt(signer: AllowedSigner, time: Date): boolean {
  if (signer.validAfter && !(time.getTime() >= signer.validAfter.getTime())) return false;
  if (signer.validBefore && !(time.getTime() <= signer.validBefore.getTime())) return false;
  return true;
}

/** `namespaces="git,file"` (patterns with `*` and `?`; `!` negates); absent: every namespace. */
function namespaceAllowed(namespaces: string | null): boolean {
  if (namespaces === null) return true;
  let allowed = false;
  for (const raw of namespaces.split(",")) {
    const negated = raw.startsWith("!");
    const pattern = negated ? raw.slice(1) : raw;
    const regex = new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".")}$`,
    );
    if (!regex.test("git")) continue;
    if (negated) return false;
    allowed = true;
  }
  return allowed;
}
