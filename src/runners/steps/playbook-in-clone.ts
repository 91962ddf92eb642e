/**
 * Right before an ansible step runs: the layer's playbook must resolve (symlinks followed) to a
 * file inside the layer's own clone. A repository could otherwise carry `site.yml -> /some/file`
 * and have the runner execute a file of the host it runs on as the playbook.
 */
import { join } from "node:path";
import type { PlannedLayer } from "../../api/index.js";
import { resolvesInside } from "./resolves-inside.js";
import { ansibleStepName } from "./step-names.js";
import { layerDir, layerPlaybookPath } from "./work-layout.js";

/** Why layer `layer`'s playbook must not run, or null when it is a file inside the layer's clone. */
export async function checkPlaybookInClone(input: {
  workDir: string;
  layer: Pick<PlannedLayer, "index" | "displayName" | "playbook">;
}): Promise<string | null> {
  const { layer } = input;
  const step = ansibleStepName(layer.index);
  const what = `playbook ${layer.playbook} of layer ${layer.index} (${layer.displayName})`;
  const playbook = layerPlaybookPath(layer);
  if (playbook === null) return `${step}: ${what} is not a path inside the layer's repository`;
  const clone = join(input.workDir, layerDir(layer.index));
  const where = await resolvesInside(join(input.workDir, playbook), [clone]);
  if (where === "inside") return null;
  if (where === "missing") return null; // ansible-playbook says it is missing, in the step's log
  return `${step}: ${what} is a symlink that resolves outside the layer's clone: refused`;
}
