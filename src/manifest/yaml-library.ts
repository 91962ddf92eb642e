/**
 * The `yaml` library, loaded (CommonJS, synchronously: its `node` export is CommonJS either way)
 * on first use rather than when a module that may need it loads. A `sessions describe` or `list`
 * of settled sessions parses and prints no YAML, and then never pays for its start-up.
 */
import { createRequire } from "node:module";
import type * as Yaml from "yaml";

let library: typeof Yaml | null = null;

/** The yaml module (the same one `import ... from "yaml"` gives). */
export function yaml(): typeof Yaml {
  library ??= createRequire(import.meta.url)("yaml") as typeof Yaml;
  return library;
}
