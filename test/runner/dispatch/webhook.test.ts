import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WebhookTarget } from '../../../src/runner/dispatch/types.ts';
import {
  describeUrl,
  runWebhook,
  signPayload,
  USER_AGENT,
  verifySignature,
} from '../../../src/runner/dispatch/webhook.ts';
import { sendJson, sendText, startServer, type TestServer } from '../../helpers/http-server.ts';
import { closedPort, context, contextMessage, T0 } from './helpers.ts';

const SECRET = 'whsec_test_0123456789';
const NOW_MS = T0 - 120_000;
const NOW_SEC = NOW_MS / 1000;
const env = { GRIDSHIFT_WEBHOOK_SECRET: SECRET, HOOK_SECRET: 'other-secret' };
const nowMs = () => NOW_MS;

let server: TestServer;

beforeAll(async () => {
  server = await startServer((_req, res) => sendJson(res, 202, { accepted: true }));
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  server.handle((_req, res) => sendJson(res, 202, { accepted: true }));
});

function hook(extra: Partial<WebhookTarget> = {}): WebhookTarget {
  return { kind: 'webhook', url: `${server.url}/hooks/run?token=abc`, ...extra };
}

describe('runWebhook', () => {
  it('POSTs the attempt as JSON with the idempotency headers and succeeds on 2xx', async () => {
    const out = await runWebhook(hook({ headers: { authorization: 'Bearer t0k' } }), context(), {
      env,
      nowMs,
    });
    expect(out).toMatchObject({ ok: true, status: 202, signed: true, outputTail: '{"accepted":true}' });
    expect(out.error).toBeUndefined();
    expect(server.requests).toHaveLength(1);
    const req = server.requests[0];
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/hooks/run?token=abc');
    expect(JSON.parse(req.body)).toEqual(contextMessage('2025-04-01T01:58:00.000Z'));
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['user-agent']).toBe(USER_AGENT);
    expect(USER_AGENT).toMatch(/^gridshift\/\d+\.\d+\.\d+/);
    expect(req.headers['idempotency-key']).toBe('0196a1b2-c3d4-8e5f-9a0b-1c2d3e4f5a6b:2');
    expect(req.headers['x-gridshift-load-id']).toBe('0196a1b2-c3d4-8e5f-9a0b-1c2d3e4f5a6b');
    expect(req.headers['x-gridshift-attempt']).toBe('2');
    expect(req.headers.authorization).toBe('Bearer t0k');
  });

  it('signs the exact body: the receiver verifies it with the secret', async () => {
    await runWebhook(hook(), context(), { env, nowMs });
    const req = server.requests[0];
    const header = req.headers['x-gridshift-signature'] as string;
    const expectedMac = createHmac('sha256', SECRET).update(`${NOW_SEC}.${req.body}`).digest('hex');
    expect(header).toBe(`t=${NOW_SEC},v1=${expectedMac}`);
    expect(verifySignature(SECRET, header, req.body, 300, NOW_SEC + 10)).toBe(true);
    expect(verifySignature(SECRET, header, Buffer.from(req.body), 300, NOW_SEC + 10)).toBe(true);
  });

  it('signature checks fail on a wrong secret, a changed body, a stale timestamp or a malformed header', async () => {
    await runWebhook(hook(), context(), { env, nowMs });
    const { body, headers } = server.requests[0];
    const header = headers['x-gridshift-signature'] as string;
    expect(verifySignature('wrong-secret', header, body, 300, NOW_SEC)).toBe(false);
    expect(verifySignature(SECRET, header, body.replace('"attempt":2', '"attempt":3'), 300, NOW_SEC)).toBe(
      false,
    );
    expect(verifySignature(SECRET, header, body, 300, NOW_SEC + 301)).toBe(false);
    expect(verifySignature(SECRET, header, body, 300, NOW_SEC - 301)).toBe(false);
    expect(verifySignature(SECRET, header, body, 300, NOW_SEC + 300)).toBe(true);
    expect(verifySignature(SECRET, undefined, body, 300, NOW_SEC)).toBe(false);
    expect(verifySignature(SECRET, 'v1=abc', body, 300, NOW_SEC)).toBe(false);
    expect(verifySignature(SECRET, header.split(',')[0], body, 300, NOW_SEC)).toBe(false);
    expect(verifySignature('', header, body, 300, NOW_SEC)).toBe(false);
  });

  it('reproduces the signature of the example in docs/dispatch.md', () => {
    const body =
      '{"loadId":"0196a1b2-c3d4-8e5f-9a0b-1c2d3e4f5a6b","attempt":1,"name":"nightly backup","zone":"DE",' +
      '"plannedStart":"2025-04-01T02:00:00.000Z","deadline":"2025-04-01T08:00:00.000Z",' +
      '"dispatchedAt":"2025-04-01T02:00:00.412Z"}';
    const header = 't=1743472800,v1=8985d610af5125a689027dcf82429308ae3c257385233f28ba8c2b7f54ad377f';
    expect(signPayload('example-secret', body, 1_743_472_800.412)).toBe(header);
    expect(verifySignature('example-secret', header, body, 300, 1_743_472_900)).toBe(true);
  });

  it('accepts a header with several v1 signatures when one matches (secret rotation)', () => {
    const body = '{"loadId":"x"}';
    const valid = signPayload(SECRET, body, NOW_SEC);
    const old = signPayload('old-secret', body, NOW_SEC).split(',')[1];
    expect(
      verifySignature(SECRET, `${valid.split(',')[0]},${old},${valid.split(',')[1]}`, body, 60, NOW_SEC),
    ).toBe(true);
    expect(verifySignature('third-secret', `${valid},${old}`, body, 60, NOW_SEC)).toBe(false);
  });

  it('verifies every signature it makes and rejects it under any other secret (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.string({ minLength: 1 }),
        fc.string(),
        fc.integer({ min: 0, max: 4_000_000_000 }),
        (secret, other, body, t) => {
          const header = signPayload(secret, body, t);
          expect(verifySignature(secret, header, body, 300, t)).toBe(true);
          if (other !== secret) expect(verifySignature(other, header, body, 300, t)).toBe(false);
        },
      ),
    );
  });

  it('uses the secret named by secretEnv', async () => {
    await runWebhook(hook({ secretEnv: 'HOOK_SECRET' }), context(), { env, nowMs });
    const { body, headers } = server.requests[0];
    const header = headers['x-gridshift-signature'] as string;
    expect(verifySignature('other-secret', header, body, 300, NOW_SEC)).toBe(true);
    expect(verifySignature(SECRET, header, body, 300, NOW_SEC)).toBe(false);
  });

  it('refuses to send when secretEnv names an unset variable, without contacting the receiver', async () => {
    const out = await runWebhook(hook({ secretEnv: 'MISSING_SECRET' }), context(), { env, nowMs });
    expect(out.ok).toBe(false);
    expect(out.error).toBe('secretEnv names MISSING_SECRET, but that environment variable is not set');
    expect(server.requests).toHaveLength(0);
  });

  it('sends unsigned when no secret is configured at all, and says so', async () => {
    const out = await runWebhook(hook(), context(), { env: {}, nowMs });
    expect(out).toMatchObject({ ok: true, signed: false });
    expect(server.requests[0].headers['x-gridshift-signature']).toBeUndefined();
  });

  it('does not let target headers replace the idempotency or signature headers', async () => {
    const headers = {
      'Idempotency-Key': 'mine',
      'X-GridShift-Signature': 't=1,v1=00',
      'Content-Type': 'text/plain',
    };
    await runWebhook(hook({ headers }), context(), { env, nowMs });
    const req = server.requests[0];
    expect(req.headers['idempotency-key']).toBe('0196a1b2-c3d4-8e5f-9a0b-1c2d3e4f5a6b:2');
    expect(req.headers['content-type']).toBe('application/json');
    expect(
      verifySignature(SECRET, req.headers['x-gridshift-signature'] as string, req.body, 300, NOW_SEC),
    ).toBe(true);
  });

  it('fails on a non-2xx response, keeping the status and the body tail', async () => {
    server.handle((_req, res) => sendText(res, 503, 'maintenance until 03:00'));
    const out = await runWebhook(hook(), context(), { env, nowMs });
    expect(out).toMatchObject({ ok: false, status: 503, outputTail: 'maintenance until 03:00' });
    expect(out.error).toBe(`HTTP 503 (${server.url}/hooks/run)`);
    expect(out.error).not.toContain('token=abc');
  });

  it('does not follow redirects: a 3xx is a failure', async () => {
    server.handle((_req, res) => {
      res.writeHead(307, { location: 'http://127.0.0.1:1/elsewhere' });
      res.end();
    });
    const out = await runWebhook(hook(), context(), { env, nowMs });
    expect(out.ok).toBe(false);
    expect(out.status).toBe(307);
    expect(out.error).toMatch(/^redirected \(HTTP 307\)/);
    expect(server.requests).toHaveLength(1);
  });

  it('keeps only the last 4 KB of a large response body', async () => {
    server.handle((_req, res) => sendText(res, 200, `${'a'.repeat(100_000)}THE END`));
    const out = await runWebhook(hook(), context(), { env, nowMs });
    expect(out.ok).toBe(true);
    expect(out.outputTail).toHaveLength(4096);
    expect(out.outputTail?.endsWith('aTHE END')).toBe(true);
  });

  it('times out on a receiver that does not answer', async () => {
    server.handle(() => new Promise(() => {})); // never responds
    const out = await runWebhook(hook({ timeoutSec: 0.3 }), context(), { env, nowMs });
    expect(out).toMatchObject({ ok: false, timedOut: true });
    expect(out.status).toBeUndefined();
    expect(out.error).toBe(`timed out after 0.3 s (${server.url}/hooks/run)`);
  });

  it('fails clearly when nothing listens', async () => {
    const port = await closedPort();
    const out = await runWebhook({ kind: 'webhook', url: `http://127.0.0.1:${port}/hook` }, context(), {
      env,
      nowMs,
    });
    expect(out.ok).toBe(false);
    expect(out.timedOut).toBeUndefined();
    expect(out.error).toBe(`could not connect: ECONNREFUSED (http://127.0.0.1:${port}/hook)`);
  });

  it('stops waiting when the dispatch is aborted', async () => {
    server.handle(() => new Promise(() => {}));
    const controller = new AbortController();
    const pending = runWebhook(hook(), context({ signal: controller.signal }), { env, nowMs });
    while (server.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    const out = await pending;
    expect(out).toMatchObject({ ok: false, aborted: true });
    expect(out.timedOut).toBeUndefined();
  });

  it('never puts the secret or the signature in an outcome', async () => {
    server.handle((_req, res) => sendText(res, 400, 'bad request'));
    const out = await runWebhook(hook(), context(), { env, nowMs });
    const signature = server.requests[0].headers['x-gridshift-signature'] as string;
    const text = JSON.stringify(out);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(signature.split('v1=')[1]);
  });
});

describe('describeUrl', () => {
  it('leaves out credentials and the query', () => {
    expect(describeUrl('https://user:pw@hooks.example.com:8443/a/b?token=x#frag')).toBe(
      'https://hooks.example.com:8443/a/b',
    );
  });
});
