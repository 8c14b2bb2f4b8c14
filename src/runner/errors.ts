/**
 * Why an operator action cannot be done. The API maps NotFoundError to 404 and ConflictError to 409;
 * the CLI prints the message. Both carry `statusCode`, which Fastify reads from thrown errors.
 */

/** No load (or recurring load) has this id. */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
  readonly statusCode = 404;
  readonly id: string;
  constructor(what: string, id: string) {
    super(`${what} ${id} not found`);
    this.id = id;
  }
}

/** The load exists but its state does not allow the action (cancel a finished load, retry a running one). */
export class ConflictError extends Error {
  override name = 'ConflictError';
  readonly statusCode = 409;
  /** the load's state when the action was refused */
  readonly state?: string;
  constructor(message: string, state?: string) {
    super(message);
    this.state = state;
  }
}
