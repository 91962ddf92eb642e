/** Errors of the REST API, answered as CFS answers them: `application/problem+json` (RFC 7807). */

/** A failure the caller caused or must know about; `status` is the HTTP status of the answer. */
export class ApiError extends Error {
  readonly code = "api";
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(detail);
  }
}

/** CFS's ProblemDetails body. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
}

/** The problem+json body of an error. */
export function problemBody(error: ApiError): ProblemDetails {
  return { type: "about:blank", title: error.title, status: error.status, detail: error.detail };
}

/** 400 Bad Request with a detail. */
export function badRequest(detail: string): ApiError {
  return new ApiError(400, "Bad Request", detail);
}

/** 404 Not Found with a detail. */
export function notFound(detail: string): ApiError {
  return new ApiError(404, "Not Found", detail);
}
