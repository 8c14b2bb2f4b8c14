import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { InputError } from '../core/errors.ts';
import type { Db, Row } from './db.ts';
import { isUuid } from './loads.ts';
import { ms, msOrNull } from './rows.ts';
import * as sql from './sql.ts';

/**
 * API tokens. Only a SHA-256 of each secret is stored: the secret is shown once, at creation.
 * A token's scopes: read (GET), write (submit, cancel ...), admin (tokens, pause, purge).
 */

export const TOKEN_SCOPES = ['read', 'write', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

export interface ApiToken {
  id: string;
  name: string;
  scopes: TokenScope[];
  createdMs: number;
  lastUsedMs: number | null;
  revokedMs: number | null;
}

/** Secrets carry a prefix so they are recognisable in configs and secret scanners. */
const SECRET_PREFIX = 'gs_';

export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

export async function createToken(
  db: Db,
  options: { name: string; scopes: TokenScope[]; nowMs?: number },
): Promise<{ token: ApiToken; secret: string }> {
  if (!options.name?.trim()) throw new InputError('name: must not be empty');
  if (!options.scopes.length) throw new InputError('scopes: give at least one of read, write, admin');
  for (const s of options.scopes) {
    if (!(TOKEN_SCOPES as readonly string[]).includes(s)) {
      throw new InputError(`scopes: "${s}" is not one of ${TOKEN_SCOPES.join(', ')}`);
    }
  }
  const secret = SECRET_PREFIX + randomBytes(32).toString('base64url');
  const [row] = await db.query<Row>(sql.insertToken(db.schema), [
    randomUUID(),
    options.name.trim(),
    hashSecret(secret),
    [...new Set(options.scopes)],
    new Date(options.nowMs ?? Date.now()),
  ]);
  return { token: rowToToken(row), secret };
}

/** The live (not revoked) token a secret belongs to, stamping its last use (to the minute); null for an unknown secret. */
export async function authenticateToken(db: Db, secret: string, options: { nowMs?: number } = {}) {
  if (!secret.startsWith(SECRET_PREFIX)) return null;
  const [row] = await db.query<Row>(sql.useToken(db.schema), [
    hashSecret(secret),
    new Date(options.nowMs ?? Date.now()),
  ]);
  if (!row) return null;
  const token = rowToToken(row);
  const nowMs = options.nowMs ?? Date.now();
  // the statement stamps stale last-use times; report the stamp it wrote
  if (token.lastUsedMs === null || token.lastUsedMs < nowMs - 60_000) token.lastUsedMs = nowMs;
  return token;
}

export async function listTokens(db: Db): Promise<ApiToken[]> {
  return (await db.query<Row>(sql.listTokens(db.schema))).map(rowToToken);
}

/** Revokes a token; false when there is no live token with that id. */
export async function revokeToken(db: Db, id: string, options: { nowMs?: number } = {}): Promise<boolean> {
  if (!isUuid(id)) return false;
  const rows = await db.query<Row>(sql.revokeToken(db.schema), [id, new Date(options.nowMs ?? Date.now())]);
  return rows.length > 0;
}

function rowToToken(r: Row): ApiToken {
  return {
    id: String(r.id),
    name: String(r.name),
    scopes: r.scopes as TokenScope[],
    createdMs: ms(r.created_at),
    lastUsedMs: msOrNull(r.last_used_at),
    revokedMs: msOrNull(r.revoked_at),
  };
}
