import { randomUUID } from 'node:crypto';
import type { GridEvent, NewGridEvent } from '../home/grid-events.ts';
import type { Db, Row } from './db.ts';
import { isUuid } from './loads.ts';
import { ms, msOrNull } from './rows.ts';
import * as sql from './sql.ts';

function rowToEvent(r: Row): GridEvent {
  return {
    id: String(r.id),
    kind: r.kind as GridEvent['kind'],
    severity: r.severity as GridEvent['severity'],
    startMs: ms(r.starts_at),
    endMs: msOrNull(r.ends_at),
    zones: (r.zones as string[]) ?? [],
    source: r.source as GridEvent['source'],
    externalId: (r.external_id as string | null) ?? null,
    raw: typeof r.raw === 'string' ? JSON.parse(r.raw) : r.raw,
    receivedMs: ms(r.received_at),
  };
}

/** Records an event; one with the external id of an event already recorded from its source updates that one. */
export async function recordGridEvent(
  db: Db,
  event: NewGridEvent,
  nowMs: number,
): Promise<{ event: GridEvent; created: boolean }> {
  const [row] = await db.query<Row>(sql.upsertGridEvent(db.schema), [
    randomUUID(),
    event.kind,
    event.severity,
    new Date(event.startMs),
    event.endMs === null ? null : new Date(event.endMs),
    event.zones,
    event.source,
    event.externalId,
    JSON.stringify(event.raw ?? null),
    new Date(nowMs),
  ]);
  return { event: rowToEvent(row), created: row.inserted === true };
}

export async function getGridEvent(db: Db, id: string): Promise<GridEvent | null> {
  if (!isUuid(id)) return null;
  const [row] = await db.query<Row>(sql.selectGridEvent(db.schema), [id]);
  return row ? rowToEvent(row) : null;
}

/** Ends the event at `atMs` (an earlier end it already has stays); null when there is no such event. */
export async function endGridEvent(db: Db, id: string, atMs: number): Promise<GridEvent | null> {
  if (!isUuid(id)) return null;
  const [row] = await db.query<Row>(sql.endGridEvent(db.schema), [id, new Date(atMs)]);
  return row ? rowToEvent(row) : null;
}

/** The events on at `nowMs`, and those that ended after `endedSinceMs` (default: only those on), newest first. */
export async function listGridEvents(
  db: Db,
  nowMs: number,
  options: { endedSinceMs?: number; limit?: number } = {},
): Promise<GridEvent[]> {
  const rows = await db.query<Row>(sql.listGridEvents(db.schema), [
    new Date(nowMs),
    new Date(options.endedSinceMs ?? nowMs),
    options.limit ?? 200,
  ]);
  return rows.map(rowToEvent);
}
