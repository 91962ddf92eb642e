/** The image service: the local image store (the embedded default) and the Cray IMS client. */
export * from "./types.js";
export * from "./errors.js";
export * from "./names.js";
export * from "./wait.js";
export * from "./ssh.js";
export * from "./ims-api.js";
export * from "./ims-client.js";
export * from "./image-archive.js";
export * from "./local-store.js";
export * from "./local-image-service.js";
export * from "./chroot-plugin.js";
