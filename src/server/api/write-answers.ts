/** How the REST API's writes say how they came and how the write path's refusals become answers. */
import { SessionExistsError } from "../../cli/session-writes.js";
import { CliError } from "../../cli/errors.js";
import { BranchConflictError } from "../../git/branch-writer.js";
import { ApiError, badRequest } from "./api-error.js";

/** The trailer every API commit carries: how the change came. */
export const API_TRAILER = "Cfs-Via: rest-api";

/** The write path's refusals as HTTP answers: a taken name 409, any other refusal 400. */
export async function writeOrExplain<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw explainRefusal(error);
  }
}

/** A refusal of the write path as the ApiError its caller gets (other errors as they are). */
export function explainRefusal(error: unknown): unknown {
  if (error instanceof SessionExistsError || error instanceof BranchConflictError)
    return new ApiError(409, "Conflict", error.message);
  if (error instanceof CliError) return badRequest(error.message);
  return error;
}
