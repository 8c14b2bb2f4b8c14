import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findTextProblem, unstorableText } from '../../src/core/text.ts';

/** Text the store can hold, and where a request value holds some it cannot. */

describe('unstorableText', () => {
  it('refuses NUL and lone surrogates, and accepts paired surrogates and other control characters', () => {
    expect(unstorableText('a\u0000b')).toMatch(/NUL/);
    expect(unstorableText('x\ud800')).toMatch(/lone surrogate/);
    expect(unstorableText('\udc00x')).toMatch(/lone surrogate/);
    expect(unstorableText('\udbff\ud800')).toMatch(/lone surrogate/);
    expect(unstorableText('emoji \ud83d\ude00, tab\t, bell\u0007, é')).toBeNull();
    expect(unstorableText('')).toBeNull();
  });
});

/** A JSON value of strings without NUL or lone surrogates (fc.string draws none of either). */
const cleanJson = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** Every string of a value with its path, as findTextProblem names them. */
function stringPaths(value: unknown, path: string, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(path);
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) stringPaths(v, `${path}[${i}]`, out);
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) stringPaths(v, `${path}.${k}`, out);
  return out;
}

function withNulAt(value: unknown, path: string, at: string): unknown {
  if (typeof value === 'string') return path === at ? `${value}\u0000` : value;
  if (Array.isArray(value)) return value.map((v, i) => withNulAt(v, `${path}[${i}]`, at));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withNulAt(v, `${path}.${k}`, at)]));
  return value;
}

describe('findTextProblem', () => {
  it('finds nothing in clean values, and names the one string that holds a NUL', () => {
    fc.assert(
      fc.property(cleanJson, fc.nat(), (value, pick) => {
        expect(findTextProblem(value, 'body', 32)).toBeNull();
        const paths = stringPaths(value, 'body');
        // a path is ambiguous when a key holds "." or "[": skip those draws
        if (paths.length === 0 || new Set(paths).size !== paths.length) return;
        const at = paths[pick % paths.length];
        expect(findTextProblem(withNulAt(value, 'body', at), 'body', 32)).toEqual({
          path: at,
          message: expect.stringMatching(/NUL/),
        });
      }),
      { seed: 8, numRuns: 300 },
    );
  });

  it('names the object whose field name is at fault', () => {
    expect(findTextProblem({ dispatch: { env: { 'A\ud800': '1' } } }, 'body', 32)).toEqual({
      path: 'body.dispatch.env',
      message: expect.stringMatching(/^a field name contains a lone surrogate/),
    });
  });

  it('allows maxDepth levels of nesting and refuses one more, without recursion', () => {
    const nested = (levels: number): unknown => {
      let v: unknown = 1;
      for (let i = 0; i < levels; i++) v = i % 2 ? { a: v } : [v];
      return v;
    };
    expect(findTextProblem(nested(32), 'body', 32)).toBeNull();
    const deeper = findTextProblem(nested(33), 'body', 32);
    expect(deeper?.message).toBe('nested more than 32 levels deep');
    expect(deeper?.path.startsWith('body')).toBe(true);
    // a hundred thousand levels (deeper than any call stack) is refused, not a stack overflow
    const huge = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    expect(findTextProblem(huge, 'body', 32)?.message).toBe('nested more than 32 levels deep');
  });
});
