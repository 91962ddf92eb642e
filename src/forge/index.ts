/** The forge room: commit statuses and pull request comments on Gitea, GitHub and GitLab. */
export * from "./create-forge.js";
export * from "./errors.js";
export * from "./forge.js";
export * from "./forge-http.js";
export * from "./forge-options.js";
export * from "./forge-queue.js";
export * from "./gitea-forge.js";
export * from "./github-forge.js";
export * from "./gitlab-forge.js";
export * from "./outcome-notifier.js";
export * from "./session-outcomes.js";
