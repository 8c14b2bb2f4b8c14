import { randomUUID } from 'node:crypto';
import { InputError } from '../core/errors.ts';
import type { Db, Row } from './db.ts';
import { isUuid, type Load, type LoadState, rowToLoad } from './loads.ts';
import { ms, msOrNull } from './rows.ts';
import * as sql from './sql.ts';

/**
 * Recurring loads: a template (the load as submitted, a cron expression for its nominal start and how far
 * each occurrence may move either side). The scheduler materialises occurrences as ordinary loads.
 */

export interface RecurringTemplate {
  id: string;
  name: string;
  /** the submitted load without its recurrence (JSON as the client sent it) */
  spec: Record<string, unknown>;
  cron: string;
  flexMin: number;
  /** IANA time zone the cron expression is read in */
  timeZone: string;
  idempotencyKey: string | null;
  /** false once cancelled */
  active: boolean;
  /** nominal time of the newest occurrence made so far */
  lastNominalMs: number | null;
  createdMs: number;
  updatedMs: number;
  cancelledMs: number | null;
}

export interface NewTemplate {
  name: string;
  spec: Record<string, unknown>;
  cron: string;
  flexMin: number;
  timeZone: string;
  idempotencyKey?: string;
}

/** Stores a template; with an idempotency key already used, returns the existing one with created false. */
export async function createTemplate(
  db: Db,
  template: NewTemplate,
  options: { nowMs?: number } = {},
): Promise<{ template: RecurringTemplate; created: boolean }> {
  if (!template.name.trim()) throw new InputError('name: must not be empty');
  if (!Number.isInteger(template.flexMin) || template.flexMin < 0)
    throw new InputError(`recurrence.flexMin: ${template.flexMin} is not a whole number >= 0`);
  const rows = await db.query<Row>(sql.insertTemplate(db.schema), [
    randomUUID(),
    template.name.trim(),
    JSON.stringify(template.spec),
    template.cron,
    template.flexMin,
    template.timeZone,
    template.idempotencyKey ?? null,
    new Date(options.nowMs ?? Date.now()),
  ]);
  if (rows[0]) return { template: rowToTemplate(rows[0]), created: true };
  const [existing] = await db.query<Row>(sql.selectTemplateByKey(db.schema), [template.idempotencyKey]);
  if (!existing)
    throw new Error(`recurring load with key "${template.idempotencyKey}" vanished while creating it`);
  return { template: rowToTemplate(existing), created: false };
}

export async function getTemplate(db: Db, id: string): Promise<RecurringTemplate | null> {
  if (!isUuid(id)) return null;
  const [row] = await db.query<Row>(sql.selectTemplate(db.schema), [id]);
  return row ? rowToTemplate(row) : null;
}

export async function listTemplates(
  db: Db,
  options: { activeOnly?: boolean } = {},
): Promise<RecurringTemplate[]> {
  const rows = await db.query<Row>(sql.listTemplates(db.schema), [options.activeOnly ?? false]);
  return rows.map(rowToTemplate);
}

/** Records that occurrences up to `nominalMs` exist (the cursor never moves back). */
export async function advanceTemplate(
  db: Db,
  id: string,
  nominalMs: number,
  options: { nowMs?: number } = {},
): Promise<RecurringTemplate | null> {
  const [row] = await db.query<Row>(sql.advanceTemplate(db.schema), [
    id,
    new Date(nominalMs),
    new Date(options.nowMs ?? Date.now()),
  ]);
  return row ? rowToTemplate(row) : null;
}

/** Stops a template; null when it is unknown or already cancelled. */
export async function cancelTemplate(
  db: Db,
  id: string,
  options: { nowMs?: number } = {},
): Promise<RecurringTemplate | null> {
  if (!isUuid(id)) return null;
  const [row] = await db.query<Row>(sql.cancelTemplate(db.schema), [
    id,
    new Date(options.nowMs ?? Date.now()),
  ]);
  return row ? rowToTemplate(row) : null;
}

/** The loads made from a template (optionally only in some states), oldest first. */
export async function templateLoads(db: Db, id: string, states?: readonly LoadState[]): Promise<Load[]> {
  if (!isUuid(id)) return [];
  const rows = await db.query<Row>(sql.selectTemplateLoads(db.schema), [id, states ? [...states] : null]);
  return rows.map(rowToLoad);
}

function rowToTemplate(r: Row): RecurringTemplate {
  return {
    id: String(r.id),
    name: String(r.name),
    spec: (r.spec as Record<string, unknown>) ?? {},
    cron: String(r.cron),
    flexMin: Number(r.flex_min),
    timeZone: String(r.time_zone),
    idempotencyKey: (r.idempotency_key as string | null) ?? null,
    active: Boolean(r.active),
    lastNominalMs: msOrNull(r.last_nominal),
    createdMs: ms(r.created_at),
    updatedMs: ms(r.updated_at),
    cancelledMs: msOrNull(r.cancelled_at),
  };
}
