/**
 * A worker thread of the parse pool (parse-pool.ts): parses the manifest files it is sent and
 * answers their results, in order. Nothing else runs here.
 */
import { parentPort } from "node:worker_threads";
import { parseManifest, type ParseManifestInput } from "../manifest/index.js";

/** A request: files to parse, and the id its answer carries. */
export interface ParseRequest {
  id: number;
  inputs: ParseManifestInput[];
}

// A plain copy of the environment, as the CLI takes at its start (src/cli/environment.ts): the
// `yaml` parser reads an environment variable once per token.
process.env = { ...process.env };

parentPort?.on("message", (request: ParseRequest) => {
  parentPort?.postMessage({ id: request.id, results: request.inputs.map((input) => parseManifest(input)) });
});
