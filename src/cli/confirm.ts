/** Asking the person at the terminal before doing something that cannot be taken back. */
import type { CliIo } from "./io.js";

/** Writes `question` to stderr and reads one line: true for y or yes (any case), false otherwise. */
export async function askYesNo(io: CliIo, question: string): Promise<boolean> {
  if (!io.stdin) return false;
  io.stderr.write(question);
  const answer = await io.stdin.readLine();
  return answer !== null && /^\s*y(es)?\s*$/i.test(answer);
}
