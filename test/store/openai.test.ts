import { expect, it } from 'vitest';
import {
  createOpenAiBatch,
  createOpenAiFile,
  getOpenAiBatch,
  getOpenAiFile,
  listOpenAiBatches,
  moveOpenAiBatch,
  openAiFileContent,
  setOpenAiBatchLoad,
} from '../../src/store/openai.ts';
import { describeEachStore } from './backends.ts';

const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);
const HOUR = 3_600_000;
const LOAD = '3f2b8f0e-5a7c-4d1e-9b6a-0c1d2e3f4a5b';

describeEachStore('openai files and batches', (suite) => {
  it('keeps a file whole, with its size in bytes', async () => {
    const content = '{"custom_id":"ä","method":"POST"}\n';
    const file = await createOpenAiFile(suite.db, {
      purpose: 'batch',
      filename: 'in.jsonl',
      content,
      nowMs: T0,
    });
    expect(file).toEqual({
      id: expect.stringMatching(/^file-[0-9a-f]{24}$/),
      purpose: 'batch',
      filename: 'in.jsonl',
      // ä is two bytes in UTF-8
      bytes: content.length + 1,
      createdMs: T0,
    });
    expect(await getOpenAiFile(suite.db, file.id)).toEqual(file);
    expect(await openAiFileContent(suite.db, file.id)).toBe(content);
    expect(await getOpenAiFile(suite.db, 'file-missing')).toBeNull();
    expect(await openAiFileContent(suite.db, 'file-missing')).toBeNull();
  });

  it('moves a batch only from the statuses given, and keeps it across a reopen', async () => {
    // a store of its own, to close and open again
    let db = await suite.backend.open();
    const input = await createOpenAiFile(db, {
      purpose: 'batch',
      filename: 'b.jsonl',
      content: 'x',
      nowMs: T0,
    });
    const batch = await createOpenAiBatch(db, {
      origin: 'batch',
      endpoint: '/v1/chat/completions',
      inputFileId: input.id,
      completionWindow: '24h',
      total: 2,
      metadata: { job: 'nightly' },
      nowMs: T0,
      deadlineMs: T0 + 24 * HOUR,
    });
    expect(batch).toMatchObject({
      id: expect.stringMatching(/^batch_[0-9a-f]{24}$/),
      status: 'in_progress',
      loadId: null,
      requestCounts: { total: 2, completed: 0, failed: 0 },
      metadata: { job: 'nightly' },
      createdMs: T0,
      deadlineMs: T0 + 24 * HOUR,
      completedMs: null,
    });
    expect((await setOpenAiBatchLoad(db, batch.id, LOAD)).loadId).toBe(LOAD);
    const output = await createOpenAiFile(db, {
      purpose: 'batch_output',
      filename: 'o.jsonl',
      content: 'y',
      nowMs: T0 + HOUR,
    });
    const done = await moveOpenAiBatch(db, batch.id, ['in_progress'], 'completed', {
      nowMs: T0 + HOUR,
      outputFileId: output.id,
      completed: 2,
      failed: 0,
    });
    expect(done).toMatchObject({
      status: 'completed',
      outputFileId: output.id,
      errorFileId: null,
      requestCounts: { total: 2, completed: 2, failed: 0 },
      completedMs: T0 + HOUR,
      cancelledMs: null,
    });
    // a cancel that comes after the completion finds nothing to move
    expect(
      await moveOpenAiBatch(db, batch.id, ['in_progress'], 'cancelled', { nowMs: T0 + 2 * HOUR }),
    ).toBeNull();

    // a restart: closed, then opened again (the embedded store serves one process at a time)
    await db.close();
    db = await suite.backend.reopen(db);
    expect(await getOpenAiBatch(db, batch.id)).toEqual(done);
    expect(await openAiFileContent(db, output.id)).toBe('y');
  });

  it('lists batches (not deferred requests) newest first, page by page', async () => {
    const input = await createOpenAiFile(suite.db, {
      purpose: 'batch',
      filename: 'l.jsonl',
      content: 'x',
      nowMs: T0,
    });
    const make = (origin: 'batch' | 'request', minutes: number) =>
      createOpenAiBatch(suite.db, {
        origin,
        endpoint: '/v1/completions',
        inputFileId: input.id,
        completionWindow: '6h',
        total: 1,
        nowMs: T0 + 10 * HOUR + minutes * 60_000,
        deadlineMs: T0 + 16 * HOUR,
      });
    const a = await make('batch', 1);
    await make('request', 2);
    const c = await make('batch', 3);
    const first = await listOpenAiBatches(suite.db, { limit: 1 });
    expect(first.map((b) => b.id)).toEqual([c.id]);
    const next = await listOpenAiBatches(suite.db, { after: c.id, limit: 100 });
    expect(next.map((b) => b.id)).toContain(a.id);
    expect(next.every((b) => b.origin === 'batch')).toBe(true);
    expect(next.map((b) => b.id)).not.toContain(c.id);
  });
});
