import { createHash } from 'node:crypto';
import { InputError } from '../core/errors.ts';
import type { Db, Row } from './db.ts';
import { isUuid } from './loads.ts';
import { ms } from './rows.ts';
import * as sql from './sql.ts';

/**
 * The decision log: every plan, replan and dispatch appended with its inputs (signal values and their
 * source), the choice, the alternatives and the reason. Each entry's hash covers its content and the
 * previous entry's hash, so editing, deleting or reordering an entry breaks the chain from there on.
 */

/** The kinds gridshift writes; the column accepts any lower-case word so later kinds need no migration. */
export type DecisionKind =
  | 'plan'
  | 'replan'
  | 'dispatch'
  | 'run_now'
  | 'cancel'
  | 'retry'
  | 'dead'
  | 'pause'
  | 'resume'
  | 'purge'
  /** the Kubernetes controller put a node taint on, took one off, or set a replica cap */
  | 'kube_taint'
  | 'kube_untaint'
  | 'kube_cap';

export interface NewDecision {
  /** the load it is about; null for scheduler-wide decisions (pause, purge ...) */
  loadId?: string | null;
  kind: DecisionKind | (string & {});
  /** what the decision was based on: signal values used and their source, the load's constraints ... */
  inputs: unknown;
  choice: unknown;
  alternatives?: unknown[];
  reason: string;
  /** default now */
  atMs?: number;
}

export interface Decision {
  seq: number;
  atMs: number;
  loadId: string | null;
  kind: string;
  inputs: unknown;
  choice: unknown;
  alternatives: unknown[];
  reason: string;
  prevHash: string;
  hash: string;
}

/** The prev_hash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * JSON with object keys sorted (by UTF-16 code units) and no whitespace: one text per value, so a hash
 * over it does not depend on key order or on how the database stored the JSON.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) return 'null'; // as JSON.stringify does
    const text = JSON.stringify(value);
    return text === undefined ? 'null' : text;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return canonicalJson((value as { toJSON: () => unknown }).toJSON());
  }
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined && typeof v !== 'function')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** A decision as it is exported and shown: the time as ISO-8601 (with milliseconds), fields in chain order. */
export type DecisionRecord = { seq: number; at: string } & Omit<Decision, 'seq' | 'atMs'>;

/** The one JSON shape of an entry: what the export writes, the API shows, and (without `hash`) is hashed. */
export function decisionRecord(d: Decision): DecisionRecord {
  return {
    seq: d.seq,
    at: new Date(d.atMs).toISOString(),
    loadId: d.loadId,
    kind: d.kind,
    inputs: d.inputs,
    choice: d.choice,
    alternatives: d.alternatives,
    reason: d.reason,
    prevHash: d.prevHash,
    hash: d.hash,
  };
}

/** SHA-256 (hex) of the canonical JSON of the entry's record (content and predecessor's hash, not its own). */
export function decisionHash(d: Omit<Decision, 'hash'>): string {
  const { hash: _own, ...body } = decisionRecord({ ...d, hash: '' });
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

/**
 * Appends an entry. Appenders are serialised by a table lock held to the end of the transaction, so
 * concurrent appenders (API replicas, workers) extend one chain and never fork it.
 */
export async function appendDecision(db: Db, entry: NewDecision): Promise<Decision> {
  if (!/^[a-z][a-z_]*$/.test(entry.kind))
    throw new InputError(`kind: "${entry.kind}" is not a lower-case word`);
  if (typeof entry.reason !== 'string' || !entry.reason.trim())
    throw new InputError('reason: must not be empty');
  if (entry.loadId != null && !isUuid(entry.loadId))
    throw new InputError(`loadId: "${entry.loadId}" is not a load id`);
  // Stored as JSON and read back as JSON: hash the value the database will hand back, not the caller's object.
  const inputs = roundTrip(entry.inputs, 'inputs');
  const choice = roundTrip(entry.choice, 'choice');
  const alternatives = roundTrip(entry.alternatives ?? [], 'alternatives') as unknown[];
  return db.transaction(async (tx) => {
    await tx.exec(sql.lockDecisions(db.schema));
    const [last] = await tx.query<{ seq: unknown; hash: string }>(sql.lastDecision(db.schema));
    const draft: Omit<Decision, 'hash'> = {
      seq: last ? Number(last.seq) + 1 : 1,
      atMs: entry.atMs ?? Date.now(),
      loadId: entry.loadId ?? null,
      kind: entry.kind,
      inputs,
      choice,
      alternatives,
      reason: entry.reason,
      prevHash: last ? last.hash : GENESIS_HASH,
    };
    const decision = { ...draft, hash: decisionHash(draft) };
    await tx.query(sql.insertDecision(db.schema), [
      decision.seq,
      new Date(decision.atMs),
      decision.loadId,
      decision.kind,
      JSON.stringify(decision.inputs),
      JSON.stringify(decision.choice),
      JSON.stringify(decision.alternatives),
      decision.reason,
      decision.prevHash,
      decision.hash,
    ]);
    return decision;
  });
}

export type ChainVerdict =
  | { ok: true; count: number; lastHash: string }
  | {
      ok: false;
      /** the first entry whose content, hash or link is wrong (or that follows a gap) */
      brokenSeq: number;
      problem: string;
      /** entries checked before the broken one */
      count: number;
    };

/** Checks a sequence of entries, in order, from the first (seq 1). */
export async function verifyChain(
  entries: AsyncIterable<Decision> | Iterable<Decision>,
): Promise<ChainVerdict> {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let count = 0;
  for await (const d of entries) {
    if (d.seq !== expectedSeq) {
      return { ok: false, brokenSeq: d.seq, count, problem: `expected entry ${expectedSeq}, found ${d.seq}` };
    }
    if (d.prevHash !== prevHash) {
      return { ok: false, brokenSeq: d.seq, count, problem: 'prev_hash does not match the previous entry' };
    }
    if (decisionHash(d) !== d.hash) {
      return { ok: false, brokenSeq: d.seq, count, problem: 'content does not match its hash' };
    }
    prevHash = d.hash;
    expectedSeq++;
    count++;
  }
  return { ok: true, count, lastHash: prevHash };
}

/** Verifies the whole decision log in the database (`gridshift audit verify`). */
export function verifyAuditChain(db: Db): Promise<ChainVerdict> {
  return verifyChain(readDecisions(db));
}

/** Entries in chain order, read in pages; `loadId` narrows to one load (such a subset is not a chain). */
export async function* readDecisions(
  db: Db,
  options: { afterSeq?: number; loadId?: string; pageSize?: number } = {},
): AsyncGenerator<Decision> {
  if (options.loadId !== undefined && !isUuid(options.loadId)) return;
  const pageSize = options.pageSize ?? 500;
  let after = options.afterSeq ?? 0;
  for (;;) {
    const rows = await db.query<Row>(sql.selectDecisions(db.schema), [
      after,
      options.loadId ?? null,
      pageSize,
    ]);
    for (const r of rows) yield rowToDecision(r);
    if (rows.length < pageSize) return;
    after = Number(rows[rows.length - 1].seq);
  }
}

/** One JSON line per entry (with its hashes), for `gridshift audit export`. */
export async function* exportDecisionsJsonl(
  db: Db,
  options: { afterSeq?: number; loadId?: string } = {},
): AsyncGenerator<string> {
  for await (const d of readDecisions(db, options)) yield `${JSON.stringify(decisionRecord(d))}\n`;
}

/** Reads an export back (one entry per non-empty line) so a file can be verified with verifyChain. */
export function parseDecisionLine(line: string, lineNo = 0): Decision {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line);
  } catch {
    throw new InputError(`line ${lineNo}: not JSON`);
  }
  const atMs = Date.parse(String(o.at));
  if (!Number.isInteger(o.seq) || !Number.isFinite(atMs) || typeof o.hash !== 'string') {
    throw new InputError(`line ${lineNo}: not a decision entry (seq, at, hash)`);
  }
  return {
    seq: o.seq as number,
    atMs,
    loadId: (o.loadId as string | null) ?? null,
    kind: String(o.kind),
    inputs: o.inputs,
    choice: o.choice,
    alternatives: (o.alternatives as unknown[]) ?? [],
    reason: String(o.reason),
    prevHash: String(o.prevHash),
    hash: o.hash,
  };
}

function rowToDecision(r: Row): Decision {
  return {
    seq: Number(r.seq),
    atMs: ms(r.at),
    loadId: (r.load_id as string | null) ?? null,
    kind: String(r.kind),
    inputs: r.inputs,
    choice: r.choice,
    alternatives: (r.alternatives as unknown[]) ?? [],
    reason: String(r.reason),
    prevHash: String(r.prev_hash),
    hash: String(r.hash),
  };
}

function roundTrip(value: unknown, field: string): unknown {
  const text = JSON.stringify(value ?? null);
  if (text.includes('\\u0000')) throw new InputError(`${field}: text with a NUL character cannot be stored`);
  return JSON.parse(text);
}

/** The newest `limit` entries of one of `kinds` (e.g. the Kubernetes controller's), newest first. */
export async function recentDecisionsOf(
  db: Db,
  kinds: readonly string[],
  limit: number,
): Promise<Decision[]> {
  const rows = await db.query<Row>(sql.recentDecisionsOf(db.schema), [[...kinds], limit]);
  return rows.map(rowToDecision);
}

/** The newest decision about a load of one of `kinds` (the plan it runs on: `plan`, `replan`), or null. */
export async function lastDecisionOf(
  db: Db,
  loadId: string,
  kinds: readonly string[] = ['plan', 'replan'],
): Promise<Decision | null> {
  if (!isUuid(loadId)) return null;
  const [row] = await db.query<Row>(sql.lastDecisionOf(db.schema), [loadId, [...kinds]]);
  return row ? rowToDecision(row) : null;
}
