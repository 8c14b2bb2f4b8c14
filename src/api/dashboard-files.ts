import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The dashboard's built files (web/dist, made by `npm run build:web`), served at `/` by `gridshift serve`.
 * The files are read once when the server is built, and text files are gzipped then, so a request costs
 * a map lookup. Hashed files under assets/ never change under their name: cached for a year, immutable.
 * index.html is revalidated on every load (no-cache), so a new version is picked up at once. Any other GET
 * that a browser sends for a page (Accept: text/html) outside the API's paths gets index.html: the
 * dashboard routes on the client. Routes the server has are never reached here (this answers only what no
 * route matched), so nothing under /v1 is shadowed.
 */

/** Where the build lands: the package's web/dist, from src/api or dist/api alike. */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../web/dist/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The page may load and connect to this server only, and nobody may frame it: the API token it holds in
 * session storage is out of reach of injected scripts and other sites. Styles set by script (the chart's
 * sizes) are allowed; the page has no inline script.
 */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; " +
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';
const SHORT = 'public, max-age=3600';

/** Paths of the API and its documents: never answered with the dashboard's page. */
const API_PATHS =
  /^\/(v1|api|docs|emissions|locations|swagger)(\/|$)|^\/(openapi\.json|metrics|healthz|readyz)$/;

interface DashboardFile {
  body: Buffer;
  gzip?: Buffer;
  type: string;
  cacheControl: string;
}

export interface DashboardFiles {
  /** whether a build was found */
  readonly built: boolean;
  /** answers a request no route matched, when it is the dashboard's; false otherwise (then: a 404 problem) */
  serve(request: FastifyRequest, reply: FastifyReply): false | FastifyReply;
}

function readBuild(dir: string): Map<string, DashboardFile> {
  const files = new Map<string, DashboardFile>();
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) {
        walk(path);
        continue;
      }
      const url = `/${relative(dir, path).split(sep).join('/')}`;
      const type = TYPES[extname(name)] ?? 'application/octet-stream';
      const body = readFileSync(path);
      const cacheControl =
        url === '/index.html' ? REVALIDATE : url.startsWith('/assets/') ? IMMUTABLE : SHORT;
      const compressible = /^(text\/|application\/json|image\/svg)/.test(type) && body.length > 512;
      files.set(url, { body, type, cacheControl, ...(compressible ? { gzip: gzipSync(body) } : {}) });
    }
  };
  walk(dir);
  return files;
}

/** The page shown at `/` when there is no build: how to make one, instead of an error. */
const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>gridshift: dashboard not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5">
<h1>The dashboard is not built</h1>
<p>This gridshift runs from a source checkout without the dashboard's build (web/dist).
Build it with <code>npm run build:web</code> (or <code>npm run build</code>) and reload this page.</p>
<p>The API works without it: <a href="/docs">/docs</a> describes it, and <code>gridshift --help</code> lists the commands.</p>
</body></html>
`;

function send(request: FastifyRequest, reply: FastifyReply, file: DashboardFile): FastifyReply {
  reply.header('content-type', file.type).header('cache-control', file.cacheControl);
  if (file.type.startsWith('text/html')) reply.headers(PAGE_HEADERS);
  reply.header('x-content-type-options', 'nosniff');
  if (file.gzip) {
    reply.header('vary', 'accept-encoding');
    if (/\bgzip\b/.test(String(request.headers['accept-encoding'] ?? '')))
      return reply.header('content-encoding', 'gzip').send(file.gzip);
  }
  return reply.send(file.body);
}

const wantsPage = (request: FastifyRequest) => /text\/html/.test(String(request.headers.accept ?? ''));

export function dashboardFiles(dir: string = DASHBOARD_DIR): DashboardFiles {
  const built = existsSync(join(dir, 'index.html'));
  const files = built ? readBuild(dir) : new Map<string, DashboardFile>();
  const index = files.get('/index.html');
  return {
    built,
    serve(request, reply) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return false;
      const path = request.url.split('?')[0];
      if (API_PATHS.test(path)) return false;
      const file = files.get(path);
      if (file && path !== '/index.html') return send(request, reply, file);
      // a hashed file that is not there is a 404, not the page (a stale page asking for an old build)
      if (path.startsWith('/assets/')) return false;
      if (path !== '/' && path !== '/index.html' && !wantsPage(request)) return false;
      if (index) return send(request, reply, index);
      return reply
        .code(404)
        .headers(PAGE_HEADERS)
        .header('content-type', 'text/html; charset=utf-8')
        .header('cache-control', REVALIDATE)
        .send(NOT_BUILT);
    },
  };
}
