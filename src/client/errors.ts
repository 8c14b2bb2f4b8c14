import type { Problem } from './types.ts';

/**
 * What a client call throws: GridshiftApiError when the server answered with an error (its RFC 9457
 * problem details attached), GridshiftConnectionError when no answer came (refused, unreachable, timed out).
 */

export class GridshiftApiError extends Error {
  override name = 'GridshiftApiError';
  /** the HTTP status */
  readonly status: number;
  /** the problem details the server sent (or made up from the status when the body was not one) */
  readonly problem: Problem;
  /** the operation, e.g. `POST /v1/loads` */
  readonly operation: string;

  constructor(operation: string, problem: Problem) {
    super(`${operation}: ${problem.status} ${problem.title}${problem.detail ? `: ${problem.detail}` : ''}`);
    this.operation = operation;
    this.status = problem.status;
    this.problem = problem;
  }

  /** the problem type URI (`urn:gridshift:problem:not-found` ...) */
  get type(): string {
    return this.problem.type;
  }

  /** the fields at fault, for bad input (`body.durationMin` ...) */
  get errors(): { path: string; message: string }[] {
    return this.problem.errors ?? [];
  }
}

export class GridshiftConnectionError extends Error {
  override name = 'GridshiftConnectionError';
  /** the server's base URL */
  readonly baseUrl: string;
  /** `ECONNREFUSED`, `ENOTFOUND`, `timeout` ... when known */
  readonly code: string | undefined;

  constructor(baseUrl: string, reason: string, options: { code?: string; cause?: unknown } = {}) {
    super(`cannot reach the gridshift server at ${baseUrl}: ${reason}`, { cause: options.cause });
    this.baseUrl = baseUrl;
    this.code = options.code;
  }
}
