/** The Forge of a kind. */
import type { Forge, ForgeKind } from "./forge.js";
import type { ForgeOptions } from "./forge-options.js";
import { createGiteaForge } from "./gitea-forge.js";
import { createGithubForge } from "./github-forge.js";
import { createGitlabForge } from "./gitlab-forge.js";

/** Creates the forge client of `kind`. */
export function createForge(kind: ForgeKind, options: ForgeOptions): Forge {
  if (kind === "github") return createGithubForge(options);
  if (kind === "gitlab") return createGitlabForge(options);
  return createGiteaForge(options);
}
