import type { Trouble } from '../session.ts';

/** A failed request, said plainly, with a way to try again. */
export function TroubleNotice(props: { trouble: Trouble; onRetry?: () => void }) {
  const { trouble } = props;
  const hint =
    trouble.kind === 'forbidden'
      ? 'This token may not read: sign in with a token that has the read scope.'
      : trouble.kind === 'unreachable'
        ? 'Is `gridshift serve` running? The page tries again when you ask.'
        : null;
  return (
    <div class="problem" role="alert" data-testid="trouble">
      <p>{trouble.message}</p>
      {hint && <p>{hint}</p>}
      {props.onRetry && (
        <button type="button" onClick={props.onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}
