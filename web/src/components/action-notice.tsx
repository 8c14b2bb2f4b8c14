import { useSession } from '../session.ts';
import type { ApiAction } from '../use-read.ts';

/**
 * What became of the last action on a page: done (in words), or refused, said plainly. A 403 names the
 * scope the route needs; a 401 offers the sign-in box, since the page itself reads without a token.
 */
export function ActionNotice(props: { action: ApiAction; needs: string }) {
  const session = useSession();
  const { trouble, done, busy } = props.action;
  if (busy)
    return (
      <p class="action-status" role="status">
        {busy}…
      </p>
    );
  if (done)
    return (
      <p class="action-status" role="status" data-testid="action-done">
        {done}
      </p>
    );
  if (!trouble) return <p class="action-status" role="status" />;
  return (
    <div class="problem" role="alert" data-testid="action-problem">
      <p>{trouble.message}</p>
      {trouble.kind === 'forbidden' && <p>This action needs a token with {props.needs}.</p>}
      {trouble.kind === 'unauthorized' && (
        <p>
          This action needs a token with {props.needs}.{' '}
          <button type="button" onClick={() => session.needToken('')}>
            Sign in
          </button>
        </p>
      )}
    </div>
  );
}
