import { useState } from 'preact/hooks';

/** Asks for an API token (`gridshift token create --scope read`), kept for this tab only. */
export function SignIn(props: { message: string | null; onToken: (token: string) => void }) {
  const [token, setToken] = useState('');
  return (
    <section class="sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in</h1>
      {props.message && (
        <p class="problem" role="alert" data-testid="auth-problem">
          {props.message}
        </p>
      )}
      <p>
        This server needs an API token to read. Create one with{' '}
        <code>gridshift token create --name dashboard --scope read</code>; it is kept in this tab only.
      </p>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (token.trim()) props.onToken(token.trim());
        }}
      >
        <label for="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          spellcheck={false}
          value={token}
          onInput={(event) => setToken((event.target as HTMLInputElement).value)}
          required
        />
        <button type="submit">Sign in</button>
      </form>
    </section>
  );
}
