import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchTarget } from '../../../src/core/load-input.ts';
import { dispatch } from '../../../src/runner/dispatch/index.ts';
import { parseConfig } from '../../../src/signals/config.ts';
import { createRegistry } from '../../../src/signals/registry.ts';
import type { Store } from '../../../src/store/db.ts';
import {
  createOpenAiBatch,
  createOpenAiFile,
  getOpenAiBatch,
  moveOpenAiBatch,
} from '../../../src/store/openai.ts';
import { embeddedBackend } from '../../api/helpers.ts';
import type { TestBackend } from '../../store/backends.ts';
import { context } from './helpers.ts';

/**
 * The openai target's own refusals, on a real embedded store: what it needs and what it will not run. A
 * batch that runs, against an OpenAI-compatible double, is in test/api/openai.test.ts.
 */

const T0 = Date.UTC(2025, 0, 15, 6, 0, 0);
const gatewayConfig = parseConfig({
  openai: {
    zone: 'DE',
    upstreams: [{ baseUrl: 'http://127.0.0.1:9/v1', tiers: { large: 'l', small: 's' } }],
  },
});
let backend: TestBackend;
let store: Store;

beforeAll(async () => {
  backend = embeddedBackend();
  store = await backend.open();
});
afterAll(() => backend?.cleanup());

async function storedBatch(): Promise<string> {
  const line = {
    custom_id: 'a',
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'auto', messages: [] },
  };
  const file = await createOpenAiFile(store, {
    purpose: 'batch',
    filename: 'a.jsonl',
    content: `${JSON.stringify(line)}\n`,
    nowMs: T0,
  });
  const batch = await createOpenAiBatch(store, {
    origin: 'batch',
    endpoint: '/v1/chat/completions',
    inputFileId: file.id,
    completionWindow: '24h',
    total: 1,
    nowMs: T0,
    deadlineMs: T0 + 86_400_000,
  });
  return batch.id;
}

describe('the openai target', () => {
  it('is a batch id, nothing else', () => {
    expect(
      dispatchTarget.safeParse({ kind: 'openai', batchId: 'batch_0123456789abcdef01234567' }).success,
    ).toBe(true);
    const bad = dispatchTarget.safeParse({ kind: 'openai', batchId: 'batch_1; rm -rf /' });
    expect(bad.success).toBe(false);
    expect(
      dispatchTarget.safeParse({ kind: 'openai', batchId: 'batch_0123456789abcdef01234567', url: 'x' })
        .success,
    ).toBe(false);
  });

  it('needs a store, a configured gateway and a stored batch', async () => {
    const target = { kind: 'openai' as const, batchId: 'batch_0123456789abcdef01234567' };
    expect(await dispatch(target, context())).toMatchObject({
      ok: false,
      error: 'openai targets need the store (a worker)',
    });
    const deps = { store, registry: createRegistry({ config: gatewayConfig, cache: false }) };
    expect(await dispatch(target, context(), { openai: { ...deps, config: parseConfig({}) } })).toMatchObject(
      {
        ok: false,
        error: 'this worker has no openai gateway configured',
      },
    );
    expect(await dispatch(target, context(), { openai: { ...deps, config: gatewayConfig } })).toMatchObject({
      ok: false,
      error: `batch ${target.batchId} does not exist`,
    });
  });

  it('does not run a batch again once it is finished (a cancel came first)', async () => {
    const batchId = await storedBatch();
    await moveOpenAiBatch(store, batchId, ['in_progress'], 'cancelled', { nowMs: T0 + 1000 });
    const registry = createRegistry({ config: gatewayConfig, cache: false });
    const out = await dispatch({ kind: 'openai', batchId }, context(), {
      openai: { store, registry, config: gatewayConfig },
    });
    expect(out).toMatchObject({
      ok: true,
      ref: batchId,
      outputTail: `batch ${batchId} was already cancelled`,
    });
    expect((await getOpenAiBatch(store, batchId))?.status).toBe('cancelled');
  });
});
