import { describe, expect, it } from 'vitest';
import { decisionView } from '../../src/api/views.ts';
import { type Decision, decisionRecord, GENESIS_HASH } from '../../src/store/audit.ts';

const T0 = Date.UTC(2025, 5, 1, 6, 0, 0);
const decision: Decision = {
  seq: 2,
  atMs: T0,
  loadId: '3f2b8c1e-5d4a-4b7e-9c2d-1a0e6f7b8c9d',
  kind: 'plan',
  inputs: { signals: [{ zone: 'SE', values: [41.5] }] },
  choice: { zone: 'SE' },
  alternatives: [{ zone: 'NO1' }],
  reason: 'best window',
  prevHash: GENESIS_HASH,
  hash: 'e'.repeat(64),
};

describe('decision view', () => {
  it('shows the decision record with the time as every API time is written', () => {
    expect(decisionView(decision)).toEqual({ ...decisionRecord(decision), at: '2025-06-01T06:00:00Z' });
    expect(decisionView({ ...decision, atMs: T0 + 250 }).at).toBe('2025-06-01T06:00:00.250Z');
  });
});
