/** The one way the runners write a JSON file that other processes read while it changes. */
import { randomBytes } from "node:crypto";
import { rename, writeFile } from "node:fs/promises";

/** Write JSON so a reader sees the old file or the new one, never half of one: temp file, then rename. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const temp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(temp, path);
}
