/** The onChange callbacks of a runner, shared by both runners. */
import type { Logger } from "pino";

/** Calls every listener; one that throws is logged and does not stop the others. */
export function notifyListeners(listeners: ReadonlyArray<() => void>, log: Logger): void {
  for (const listener of listeners) {
    try {
      listener();
    } catch (error) {
      log.error({ err: error }, "onChange callback failed");
    }
  }
}
