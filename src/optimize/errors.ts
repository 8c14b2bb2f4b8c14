/**
 * A scenario with no feasible plan: the message names the constraint that cannot be met. The CLI exits
 * with code 3 for it (bad input, exit 2, is an InputError from src/core/errors.ts).
 */
export class InfeasibleError extends Error {
  override name = 'InfeasibleError';
}
