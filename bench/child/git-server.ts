/**
 * The test suite's smart-HTTP git server (git http-backend behind Node's http server) in its own
 * process, so its CPU time is not counted as the controller's. Prints `{"base": "<url>"}` once
 * listening and stops when its stdin closes.
 */
import { startGitHttpServer } from "../../test/helpers/git-http-server.js";

async function main(): Promise<void> {
  const root = process.argv[2];
  if (!root) throw new Error("usage: git-server.js <root>");
  const server = await startGitHttpServer({ root });
  process.stdout.write(`${JSON.stringify({ base: server.url("") })}\n`);
  process.stdin.resume();
  await new Promise<void>((resolve) => process.stdin.once("end", resolve));
  await server.close();
}

await main();
