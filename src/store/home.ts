import type { Db, Row } from './db.ts';
import { ms, msOrNull, numOrNull } from './rows.ts';
import * as sql from './sql.ts';

/**
 * The home controller's records: each plan it solved (with the scenario, so any plan can be solved again
 * with `gridshift home optimize`), the setpoints in force per slot, and what the home reported.
 */

export interface StoredHomePlan {
  id: number;
  solvedMs: number;
  startMs: number;
  stepMin: number;
  slots: number;
  /** why it was solved: `start`, `slot`, `forecast`, `measurement`, `request` */
  reason: string;
  /** hash of what it was solved from: an unchanged hash in the same slot needs no new solve */
  inputsHash: string;
  scenario: Record<string, unknown>;
  plan: Record<string, unknown>;
  /** where the forecasts came from, and what was degraded */
  inputs: Record<string, unknown>;
}

export type NewHomePlan = Omit<StoredHomePlan, 'id'>;

export interface SlotSetpoints {
  slotStartMs: number;
  planId: number;
  setpoints: Record<string, unknown>;
  /** the slot as planned: flows, cost and emissions, and the baseline's for the same slot */
  planned: Record<string, unknown>;
  publishedMs: number;
}

export interface HomeMeasurement {
  atMs: number;
  loadKw?: number | null;
  pvKw?: number | null;
  socKwh?: number | null;
  /** energy delivered into the car since it was plugged in, kWh */
  evEnergyKwh?: number | null;
  importKw?: number | null;
  exportKw?: number | null;
}

const json = (v: unknown): Record<string, unknown> =>
  (typeof v === 'string' ? JSON.parse(v) : v) as Record<string, unknown>;

function rowToPlan(r: Row): StoredHomePlan {
  return {
    id: Number(r.id),
    solvedMs: ms(r.solved_at),
    startMs: ms(r.start_at),
    stepMin: Number(r.step_min),
    slots: Number(r.slots),
    reason: String(r.reason),
    inputsHash: String(r.inputs_hash),
    scenario: json(r.scenario),
    plan: json(r.plan),
    inputs: json(r.inputs),
  };
}

/** Stores a solved plan and the setpoints of its first slot, in one transaction; prunes old history. */
export async function saveHomePlan(
  db: Db,
  plan: NewHomePlan,
  first: { setpoints: Record<string, unknown>; planned: Record<string, unknown> },
  keepMs: number,
): Promise<StoredHomePlan> {
  return db.transaction(async (tx) => {
    const [row] = await tx.query<Row>(sql.insertHomePlan(db.schema), [
      new Date(plan.solvedMs),
      new Date(plan.startMs),
      plan.stepMin,
      plan.slots,
      plan.reason,
      plan.inputsHash,
      JSON.stringify(plan.scenario),
      JSON.stringify(plan.plan),
      JSON.stringify(plan.inputs),
    ]);
    const stored = rowToPlan(row);
    await tx.query(sql.upsertHomeSetpoints(db.schema), [
      new Date(plan.startMs),
      stored.id,
      JSON.stringify(first.setpoints),
      JSON.stringify(first.planned),
      new Date(plan.solvedMs),
    ]);
    await tx.query(sql.pruneHomePlans(db.schema), [new Date(plan.solvedMs - keepMs)]);
    return stored;
  });
}

export async function latestHomePlan(db: Db): Promise<StoredHomePlan | null> {
  const [row] = await db.query<Row>(sql.latestHomePlan(db.schema));
  return row ? rowToPlan(row) : null;
}

export async function homeSetpointsSince(db: Db, sinceMs: number): Promise<SlotSetpoints[]> {
  const rows = await db.query<Row>(sql.homeSetpointsSince(db.schema), [new Date(sinceMs)]);
  return rows.map((r) => ({
    slotStartMs: ms(r.slot_start),
    planId: Number(r.plan_id),
    setpoints: json(r.setpoints),
    planned: json(r.planned),
    publishedMs: ms(r.published_at),
  }));
}

/** Records readings; a second reading at the same instant fills in what the first left out. */
export async function recordHomeMeasurements(
  db: Db,
  readings: readonly HomeMeasurement[],
  keepMs: number,
): Promise<void> {
  if (readings.length === 0) return;
  await db.transaction(async (tx) => {
    for (const m of readings)
      await tx.query(sql.insertHomeMeasurement(db.schema), [
        new Date(m.atMs),
        m.loadKw ?? null,
        m.pvKw ?? null,
        m.socKwh ?? null,
        m.evEnergyKwh ?? null,
        m.importKw ?? null,
        m.exportKw ?? null,
      ]);
    const newest = Math.max(...readings.map((m) => m.atMs));
    await tx.query(sql.pruneHomeMeasurements(db.schema), [new Date(newest - keepMs)]);
  });
}

export async function homeMeasurementsSince(db: Db, sinceMs: number): Promise<HomeMeasurement[]> {
  const rows = await db.query<Row>(sql.homeMeasurementsSince(db.schema), [new Date(sinceMs)]);
  return rows.map((r) => ({
    atMs: ms(r.at),
    loadKw: numOrNull(r.load_kw),
    pvKw: numOrNull(r.pv_kw),
    socKwh: numOrNull(r.soc_kwh),
    evEnergyKwh: numOrNull(r.ev_energy_kwh),
    importKw: numOrNull(r.import_kw),
    exportKw: numOrNull(r.export_kw),
  }));
}

/** The newest battery and EV readings at or before `atMs`, each with when it was taken. */
export async function latestHomeReadings(
  db: Db,
  atMs: number,
): Promise<{ socKwh: number | null; socMs: number | null; evEnergyKwh: number | null; evMs: number | null }> {
  const [r] = await db.query<Row>(sql.latestHomeReadings(db.schema), [new Date(atMs)]);
  return {
    socKwh: numOrNull(r?.soc_kwh),
    socMs: msOrNull(r?.soc_at),
    evEnergyKwh: numOrNull(r?.ev_energy_kwh),
    evMs: msOrNull(r?.ev_at),
  };
}

/** Claims a notice's key: true when nobody told it before (then it is to be told), false otherwise. */
export async function claimNotice(
  db: Db,
  notice: { key: string; kind: string },
  atMs: number,
): Promise<boolean> {
  const rows = await db.query(sql.claimNotice(db.schema), [
    notice.key,
    notice.kind,
    new Date(atMs),
    JSON.stringify(notice),
  ]);
  return rows.length > 0;
}

/** The notices told since `sinceMs`, newest first. */
export async function recentNotices(
  db: Db,
  sinceMs: number,
  limit = 100,
): Promise<Record<string, unknown>[]> {
  const rows = await db.query<Row>(sql.recentNotices(db.schema), [new Date(sinceMs), limit]);
  return rows.map((r) => json(r.notice));
}
