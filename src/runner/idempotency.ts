import type { LoadInput } from '../core/load-input.ts';
import { ConflictError } from './errors.ts';

/**
 * Idempotency keys: a repeated submit with the same key and the same load answers with the first load; the
 * same key with a different load is refused (409), naming what differs, so that a client reusing a key by
 * mistake learns it instead of silently getting an unrelated load.
 */

/**
 * What a key is checked against: the load as sent, without the key itself, with the defaults a field left
 * out stands for (so `objective: "carbon"` and no objective are the same load).
 */
export function requestOf(input: LoadInput): Record<string, unknown> {
  const { idempotencyKey: _key, ...rest } = input;
  const withDefaults = {
    ...rest,
    tags: rest.tags ?? [],
    objective: rest.objective ?? 'carbon',
    interruptible: rest.interruptible ?? false,
    priority: rest.priority ?? 0,
    dispatch: rest.dispatch ?? { kind: 'none' },
  };
  return JSON.parse(JSON.stringify(withDefaults)) as Record<string, unknown>;
}

/** Top-level fields whose values differ between two requests (objects compared deeply, key order ignored). */
export function differingFields(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.filter((k) => !sameJson(a[k], b[k]));
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => sameJson(x, b[i]));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
    for (const k of keys) if (!sameJson(ao[k], bo[k])) return false;
    return true;
  }
  return false;
}

/**
 * Throws ConflictError when `sent` is not the request first stored with `key`. A stored request of null
 * (stored before requests were kept) cannot be compared and is taken as the same.
 */
export function assertSameRequest(
  key: string,
  stored: Record<string, unknown> | null,
  sent: Record<string, unknown>,
  what = 'load',
): void {
  if (stored === null) return;
  const fields = differingFields(stored, sent);
  if (fields.length === 0) return;
  throw new ConflictError(
    `idempotencyKey: "${key}" was already used for a different ${what} (${fields.join(', ')} ` +
      `${fields.length === 1 ? 'differs' : 'differ'}); send the same ${what} again to get the first one back, ` +
      'or use a new key',
  );
}
