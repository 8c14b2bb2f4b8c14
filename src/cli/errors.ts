/**
 * How the CLI ends: exit codes and the one-line error message. Scripts rely on the codes:
 * 0 ok, 2 bad input (fix the command line or config), 3 no signal and the failure policy is closed
 * (try later), or no feasible plan (`home optimize`: the message names the constraint), 4 the audit
 * chain is broken (`audit verify`), 5 a watched load ended without succeeding (`loads show --watch`),
 * 1 anything else.
 */
import { InputError } from '../core/errors.ts';
import { InfeasibleError } from '../optimize/errors.ts';

export const EXIT = {
  ok: 0,
  error: 1,
  badInput: 2,
  noSignal: 3,
  infeasible: 3,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * No source answered for a zone whose failure policy is `closed`: the command cannot give a trustworthy
 * answer and says so (exit code 3) instead of guessing.
 */
export class NoSignalError extends Error {
  override name = 'NoSignalError';
}

/** A load watched with `loads show --watch` ended dead or cancelled: exit code 5. */
export class LoadEndedError extends Error {
  override name = 'LoadEndedError';
  readonly exitCode = 5;
}

/** Errors whose message is for the user as is: no stack trace. */
function isInputError(err: unknown): boolean {
  return err instanceof InputError || err instanceof RangeError;
}

export function exitCodeFor(err: unknown): ExitCode {
  if (err instanceof NoSignalError) return EXIT.noSignal;
  if (err instanceof InfeasibleError) return EXIT.infeasible;
  if (isInputError(err)) return EXIT.badInput;
  return EXIT.error;
}

/**
 * The text to print for an error: `error: <message>`. Unexpected errors (exit 1) add the stack when
 * `verbose` is set, for bug reports.
 */
export function errorText(err: unknown, verbose = false): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = exitCodeFor(err);
  const stack = verbose && code === EXIT.error && err instanceof Error && err.stack ? `\n${err.stack}` : '';
  return `error: ${message}${stack}`;
}
