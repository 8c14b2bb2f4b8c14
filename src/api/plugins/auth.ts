import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../../store/db.ts';
import { type ApiToken, authenticateToken, hashSecret, type TokenScope } from '../../store/tokens.ts';
import { ApiError, PROBLEM_TYPES } from '../problem.ts';
import { unencapsulated } from './unencapsulated.ts';

/**
 * Bearer API tokens with scopes. Every route declares what it needs in `config.scope`:
 * `public` (health, OpenAPI, docs), `read` (GETs), `write` (submit, cancel, run-now, retry) or `admin`
 * (pause/resume, purge, tokens). Scopes nest: an admin token may also write and read, a write token may
 * also read. A route that declares nothing needs `admin`, so that forgetting the declaration fails closed.
 *
 * Without an Authorization header a request is refused with 401, except for `read` routes when the server
 * was started with open read access (`openRead`). A header with an unknown, revoked or malformed token is
 * always refused, even on open read routes: a client that thinks it authenticates should learn that it
 * does not. The token itself is never logged or echoed.
 */

export type RouteScope = 'public' | TokenScope;

/** Who made the request: a token, nobody (open read access), or this process's own operator. */
export type Principal =
  | { kind: 'token'; tokenId: string; name: string; scopes: TokenScope[] }
  | { kind: 'anonymous'; scopes: TokenScope[] }
  | { kind: 'local'; scopes: TokenScope[] };

declare module 'fastify' {
  interface FastifyContextConfig {
    /** what a caller needs for this route; default `admin` */
    scope?: RouteScope;
  }
  interface FastifyRequest {
    /** set by the auth plugin for every non-public route */
    principal: Principal | null;
  }
  interface FastifyInstance {
    /** drops the cached token checks, so that a token revoked in this process is refused at once */
    forgetTokenChecks(): void;
  }
}

export interface AuthOptions {
  /** token storage */
  store: Db;
  /** allow `read` routes without a token (never writes); default false */
  openRead?: boolean;
  /**
   * a request without a token comes from whoever runs this process, with admin rights: for an API that
   * never listens on a socket and answers the process's own calls only (the CLI's direct mode)
   */
  localOperator?: boolean;
  /** who may scrape /metrics: `public` (default) or holders of a `read` token */
  metrics?: 'public' | 'read';
  /** how long a successful token lookup is reused, ms; default DEFAULT_TOKEN_CACHE_MS */
  tokenCacheMs?: number;
  /** clock for the token's last-use stamp and the cache */
  nowMs?: () => number;
}

/**
 * A token check is reused for 5 s: a busy client does not cost a store lookup per request, and a token revoked
 * by another process (another API replica, `gridshift token revoke` on the database) is refused within 5 s.
 * One revoked through this process's API is refused at once.
 */
export const DEFAULT_TOKEN_CACHE_MS = 5000;

const IMPLIED: Record<TokenScope, TokenScope[]> = {
  admin: ['admin', 'write', 'read'],
  write: ['write', 'read'],
  read: ['read'],
};

/** Whether a token with `scopes` may use a route that needs `needed`. */
export function allows(scopes: readonly TokenScope[], needed: TokenScope): boolean {
  return scopes.some((s) => IMPLIED[s]?.includes(needed));
}

const REALM = 'gridshift';

function unauthorized(detail: string, error?: 'invalid_request' | 'invalid_token'): ApiError {
  const challenge = error
    ? `Bearer realm="${REALM}", error="${error}", error_description="${detail}"`
    : `Bearer realm="${REALM}"`;
  return new ApiError(401, PROBLEM_TYPES.unauthorized, 'Unauthorized', detail, {
    headers: { 'www-authenticate': challenge },
  });
}

function forbidden(needed: TokenScope): ApiError {
  return new ApiError(
    403,
    PROBLEM_TYPES.forbidden,
    'Forbidden',
    `this route needs a token with the ${needed} scope`,
    {
      headers: {
        'www-authenticate': `Bearer realm="${REALM}", error="insufficient_scope", scope="${needed}"`,
      },
    },
  );
}

/** The token in an `Authorization: Bearer <token>` header; throws 401 for any other form. */
function bearerToken(header: string): string {
  const m = /^Bearer[ ]+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(header);
  if (!m) throw unauthorized('the Authorization header must be "Bearer <token>"', 'invalid_request');
  return m[1];
}

export const authPlugin = unencapsulated(async (app: FastifyInstance, options: AuthOptions) => {
  const nowMs = options.nowMs ?? Date.now;
  const cacheMs = options.tokenCacheMs ?? DEFAULT_TOKEN_CACHE_MS;
  const cache = new Map<string, { token: ApiToken; untilMs: number }>();

  app.decorateRequest('principal', null);
  app.decorate('forgetTokenChecks', () => cache.clear());

  // Docs routes come from @fastify/swagger-ui and cannot declare a scope themselves.
  app.addHook('onRoute', (route) => {
    if (route.url === '/docs' || route.url.startsWith('/docs/')) {
      route.config = { ...route.config, scope: 'public' };
    }
  });

  async function lookup(secret: string): Promise<ApiToken | null> {
    const now = nowMs();
    // keyed by the hash, so that no secret is kept in memory longer than the request
    const key = cacheMs > 0 ? hashSecret(secret) : '';
    const hit = cacheMs > 0 ? cache.get(key) : undefined;
    if (hit && hit.untilMs > now) return hit.token;
    const token = await authenticateToken(options.store, secret, { nowMs: now });
    if (cacheMs > 0) {
      if (token) cache.set(key, { token, untilMs: now + cacheMs });
      else cache.delete(key);
    }
    return token;
  }

  async function principalOf(request: FastifyRequest, needed: TokenScope): Promise<Principal> {
    const header = request.headers.authorization;
    if (header === undefined || header === '') {
      if (options.localOperator) return { kind: 'local', scopes: ['admin'] };
      if (needed === 'read' && options.openRead) return { kind: 'anonymous', scopes: ['read'] };
      throw unauthorized('this route needs an API token: send "Authorization: Bearer <token>"');
    }
    const token = await lookup(bearerToken(header));
    if (!token) {
      request.log.info('authentication failed: unknown or revoked token');
      throw unauthorized('the token is unknown or revoked', 'invalid_token');
    }
    return { kind: 'token', tokenId: token.id, name: token.name, scopes: token.scopes };
  }

  app.addHook('onRequest', async (request) => {
    // unmatched routes answer 404 to anyone: nothing is revealed
    if (request.routeOptions.url === undefined) return;
    let scope: RouteScope = request.routeOptions.config.scope ?? 'admin';
    if (request.routeOptions.url === '/metrics' && options.metrics === 'read') scope = 'read';
    if (scope === 'public') return;
    const principal = await principalOf(request, scope);
    if (!allows(principal.scopes, scope)) {
      request.log.info(
        { token: principal.kind === 'token' ? principal.tokenId : 'anonymous', needed: scope },
        'insufficient scope',
      );
      throw forbidden(scope);
    }
    request.principal = principal;
  });
});
