import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  appendDecision,
  canonicalJson,
  type Decision,
  decisionHash,
  decisionRecord,
  exportDecisionsJsonl,
  GENESIS_HASH,
  parseDecisionLine,
  readDecisions,
  verifyAuditChain,
  verifyChain,
} from '../../src/store/audit.ts';
import { createLoad, moveLoad, purgeLoads } from '../../src/store/loads.ts';
import { describeEachStore } from './backends.ts';

const T0 = Date.UTC(2025, 5, 1, 6, 0, 0);

describe('canonical JSON', () => {
  it('sorts keys at every depth and drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: null, y: 'x' }], c: true } })).toBe(
      '{"a":{"c":true,"d":[3,{"y":"x","z":null}]},"b":1}',
    );
  });
  it('writes what JSON would: undefined members dropped, non-finite numbers as null, dates as ISO', () => {
    expect(canonicalJson({ a: undefined, b: Number.NaN, c: [undefined], d: new Date(0) })).toBe(
      '{"b":null,"c":[null],"d":"1970-01-01T00:00:00.000Z"}',
    );
  });
  it('does not depend on key order (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (o) => {
        const reversed = Object.fromEntries(Object.entries(o).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(o));
        expect(JSON.parse(canonicalJson(o))).toEqual(JSON.parse(JSON.stringify(o)));
      }),
    );
  });
});

describe('decision hash', () => {
  const pause = {
    seq: 1,
    atMs: T0,
    loadId: null,
    kind: 'pause',
    inputs: {},
    choice: { paused: true },
    alternatives: [],
    reason: 'maintenance',
    prevHash: GENESIS_HASH,
  };

  it('is SHA-256 of the canonical entry including the previous hash', () => {
    const d = pause;
    const body =
      '{"alternatives":[],"at":"2025-06-01T06:00:00.000Z","choice":{"paused":true},"inputs":{},"kind":"pause",' +
      `"loadId":null,"prevHash":"${GENESIS_HASH}","reason":"maintenance","seq":1}`;
    expect(decisionHash(d)).toBe(createHash('sha256').update(body).digest('hex'));
    expect(decisionHash({ ...d, prevHash: 'f'.repeat(64) })).not.toBe(decisionHash(d));
  });

  it('gives the hashes existing chains were written with', () => {
    const replan = {
      seq: 42,
      atMs: T0 + 123,
      loadId: '3f2b8c1e-5d4a-4b7e-9c2d-1a0e6f7b8c9d',
      kind: 'replan',
      inputs: {
        signals: [{ zone: 'SE', values: [41.5, 38, null], source: 'electricitymaps' }],
        deadline: '2025-06-02T06:00:00Z',
      },
      choice: { zone: 'SE', runs: [{ startMs: 1748757600000, endMs: 1748761200000 }] },
      alternatives: [{ zone: 'NO1', emissionsG: 12.25 }],
      reason: 'cleaner window — 18 % less',
      prevHash: 'ab'.repeat(32),
    };
    expect(decisionHash(pause)).toBe('c37382de79a46fa9d219af0141899baefdeff8be6efb426743b16944d43bd933');
    expect(decisionHash(replan)).toBe('0d4abec918fd8988b6df94a1a032d2b7e26646213d95a7bb268e617a11d9ce43');
    // an entry's own hash (as verifyChain passes it) is not part of what is hashed
    expect(decisionHash({ ...replan, hash: 'f'.repeat(64) } as Decision)).toBe(decisionHash(replan));
  });
});

describe('decision record', () => {
  const d: Decision = {
    seq: 3,
    atMs: T0,
    loadId: null,
    kind: 'resume',
    inputs: { by: 'operator' },
    choice: { paused: false },
    alternatives: [],
    reason: 'maintenance over',
    prevHash: GENESIS_HASH,
    hash: 'c'.repeat(64),
  };

  it('writes the time as ISO-8601 with milliseconds and keeps the fields in chain order', () => {
    expect(JSON.stringify(decisionRecord(d))).toBe(
      '{"seq":3,"at":"2025-06-01T06:00:00.000Z","loadId":null,"kind":"resume","inputs":{"by":"operator"},' +
        `"choice":{"paused":false},"alternatives":[],"reason":"maintenance over","prevHash":"${GENESIS_HASH}",` +
        `"hash":"${'c'.repeat(64)}"}`,
    );
  });

  it('reads back as the decision it was made from', () => {
    expect(parseDecisionLine(JSON.stringify(decisionRecord({ ...d, atMs: T0 + 7 })))).toEqual({
      ...d,
      atMs: T0 + 7,
    });
  });
});

describeEachStore('decision log', (suite) => {
  let loadId: string;
  beforeAll(async () => {
    ({
      load: { id: loadId },
    } = await createLoad(suite.db, {
      name: 'train',
      zones: ['SE'],
      durationMin: 60,
      powerKw: 8,
      earliestMs: T0,
      deadlineMs: T0 + 86_400_000,
    }));
  });

  const plan = (i: number) => ({
    loadId,
    kind: i === 0 ? 'plan' : 'replan',
    inputs: {
      signals: [
        { zone: 'SE', metric: 'carbon_average', source: 'electricitymaps', values: [41.5, 38, 40.25] },
      ],
    },
    choice: { zone: 'SE', runs: [{ startMs: T0 + i * 3_600_000, endMs: T0 + (i + 1) * 3_600_000 }] },
    alternatives: [{ zone: 'SE', emissionsG: 400 + i }],
    reason: `best window (${i})`,
    atMs: T0 + i * 1000,
  });

  it('chains entries: each names the hash of the one before', async () => {
    const a = await appendDecision(suite.db, plan(0));
    const b = await appendDecision(suite.db, plan(1));
    expect(a.seq).toBe(1);
    expect(a.prevHash).toBe(GENESIS_HASH);
    expect(b.seq).toBe(2);
    expect(b.prevHash).toBe(a.hash);
    expect(b.hash).toBe(decisionHash(b));
    const stored = [];
    for await (const d of readDecisions(suite.db)) stored.push(d);
    expect(stored).toEqual([a, b]);
    expect(await verifyAuditChain(suite.db)).toEqual({ ok: true, count: 2, lastHash: b.hash });
  });

  it('never forks when many appenders race', async () => {
    const appended = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        appendDecision(suite.db, {
          kind: 'dispatch',
          inputs: { i },
          choice: { worker: i % 3 },
          reason: 'due',
        }),
      ),
    );
    expect(appended.map((d) => d.seq).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 3),
    );
    const verdict = await verifyAuditChain(suite.db);
    expect(verdict).toMatchObject({ ok: true, count: 22 });
  });

  it('keeps the log when the loads it speaks of are purged', async () => {
    await moveLoad(suite.db, loadId, 'planned', 'cancelled', { nowMs: T0 });
    expect(await purgeLoads(suite.db, T0 + 1)).toBe(1);
    const forLoad = [];
    for await (const d of readDecisions(suite.db, { loadId })) forLoad.push(d);
    expect(forLoad.map((d) => d.seq)).toEqual([1, 2]);
  });

  it('exports JSON lines that verify on their own', async () => {
    const lines: string[] = [];
    for await (const line of exportDecisionsJsonl(suite.db)) lines.push(line);
    expect(lines).toHaveLength(22);
    expect(lines.every((l) => l.endsWith('\n'))).toBe(true);
    const first = JSON.parse(lines[0]);
    expect(first).toMatchObject({
      seq: 1,
      at: '2025-06-01T06:00:00.000Z',
      kind: 'plan',
      prevHash: GENESIS_HASH,
    });
    const parsed = lines.map((l, i) => parseDecisionLine(l.trim(), i + 1));
    expect(await verifyChain(parsed)).toMatchObject({ ok: true, count: 22 });
    // an edited export is caught too
    const edited = parsed.map((d) => (d.seq === 5 ? { ...d, reason: 'nothing to see' } : d));
    expect(await verifyChain(edited)).toMatchObject({ ok: false, brokenSeq: 5 });
  });

  it('refuses entries it could not hash faithfully', async () => {
    await expect(
      appendDecision(suite.db, { kind: 'Plan!', inputs: {}, choice: {}, reason: 'x' }),
    ).rejects.toThrow(/^kind/);
    await expect(
      appendDecision(suite.db, { kind: 'plan', inputs: {}, choice: {}, reason: ' ' }),
    ).rejects.toThrow(/^reason/);
    await expect(
      appendDecision(suite.db, { kind: 'plan', inputs: { s: 'a\u0000b' }, choice: {}, reason: 'x' }),
    ).rejects.toThrow(/^inputs/);
  });

  // Last: these edit the log behind the repository's back.
  it('detects an edited entry and names its seq', async () => {
    await suite.db.exec(`UPDATE "${suite.db.schema}".decisions SET choice = '{"zone": "NO1"}' WHERE seq = 7`);
    const verdict = await verifyAuditChain(suite.db);
    expect(verdict).toEqual({
      ok: false,
      brokenSeq: 7,
      count: 6,
      problem: 'content does not match its hash',
    });
  });

  it('detects an entry whose hash was recomputed after editing (the next link breaks)', async () => {
    const [row] = await suite.db.query<Decision & { at: Date }>(
      `SELECT seq, at, load_id AS "loadId", kind, inputs, choice, alternatives, reason, prev_hash AS "prevHash"
       FROM "${suite.db.schema}".decisions WHERE seq = 7`,
    );
    const rehashed = decisionHash({ ...row, seq: Number(row.seq), atMs: row.at.getTime() });
    await suite.db.query(`UPDATE "${suite.db.schema}".decisions SET hash = $1 WHERE seq = 7`, [rehashed]);
    expect(await verifyAuditChain(suite.db)).toMatchObject({ ok: false, brokenSeq: 8 });
  });

  it('detects a deleted entry', async () => {
    await suite.db.exec(`DELETE FROM "${suite.db.schema}".decisions WHERE seq = 3`);
    expect(await verifyAuditChain(suite.db)).toMatchObject({ ok: false, brokenSeq: 4, count: 2 });
  });
});
