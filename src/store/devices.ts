import { randomUUID } from 'node:crypto';
import type {
  AdapterConfig,
  Device,
  DeviceAction,
  DeviceInput,
  DeviceKind,
  SavedState,
} from '../home/device.ts';
import type { Db, Row } from './db.ts';
import { isUuid } from './loads.ts';
import { ms, numOrNull } from './rows.ts';
import * as sql from './sql.ts';

/**
 * A home's devices (src/home/device.ts). The input is parsed before it gets here (the service in
 * src/home/devices.ts does); this module only stores and reads. The state a device had before gridshift
 * acted on it is kept in its row until it is restored.
 */

/** Another device has this name (names are unique: the CLI and the API address devices by name). */
export class DeviceNameConflictError extends Error {
  override name = 'DeviceNameConflictError';
  readonly statusCode = 409;
  constructor(name: string) {
    super(`a device named "${name}" exists already`);
  }
}

const UNIQUE_VIOLATION = '23505';

function params(id: string, d: DeviceInput, nowMs: number): unknown[] {
  return [
    id,
    d.name,
    d.kind,
    JSON.stringify(d.adapter),
    d.ratedPowerW,
    d.delegated ?? false,
    d.action,
    d.limitPct ?? null,
    d.ecoMode ?? null,
    d.runMin ?? null,
    d.protectedWindows ?? [],
    new Date(nowMs),
  ];
}

async function write(db: Db, statement: string, values: unknown[], name: string): Promise<Row | undefined> {
  try {
    const [row] = await db.query<Row>(statement, values);
    return row;
  } catch (err) {
    if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw new DeviceNameConflictError(name);
    throw err;
  }
}

export async function insertDevice(
  db: Db,
  device: DeviceInput,
  options: { nowMs?: number } = {},
): Promise<Device> {
  const row = await write(
    db,
    sql.insertDevice(db.schema),
    params(randomUUID(), device, options.nowMs ?? Date.now()),
    device.name,
  );
  if (!row) throw new Error(`device "${device.name}" was not stored`);
  return rowToDevice(row);
}

/** Replaces what the device is (its saved state stays); null when there is no device with that id. */
export async function updateDevice(
  db: Db,
  id: string,
  device: DeviceInput,
  options: { nowMs?: number } = {},
): Promise<Device | null> {
  if (!isUuid(id)) return null;
  const row = await write(
    db,
    sql.updateDevice(db.schema),
    params(id, device, options.nowMs ?? Date.now()),
    device.name,
  );
  return row ? rowToDevice(row) : null;
}

export async function getDevice(db: Db, id: string): Promise<Device | null> {
  if (!isUuid(id)) return null;
  const [row] = await db.query<Row>(sql.selectDevice(db.schema), [id]);
  return row ? rowToDevice(row) : null;
}

export async function getDeviceByName(db: Db, name: string): Promise<Device | null> {
  const [row] = await db.query<Row>(sql.selectDeviceByName(db.schema), [name]);
  return row ? rowToDevice(row) : null;
}

/** Every device, by name. */
export async function listDevices(db: Db): Promise<Device[]> {
  return (await db.query<Row>(sql.listDevices(db.schema))).map(rowToDevice);
}

/** Removes a device; false when there was none with that id. */
export async function deleteDevice(db: Db, id: string): Promise<boolean> {
  if (!isUuid(id)) return false;
  return (await db.query<Row>(sql.deleteDevice(db.schema), [id])).length > 0;
}

/**
 * Keeps the device's state before an action. When a state is kept already (a second action in the same
 * peak), that first one stays: it is what the device goes back to. Returns the device as stored, or null
 * when it is unknown.
 */
export async function saveStateBefore(
  db: Db,
  id: string,
  state: Omit<SavedState, 'savedAtMs'>,
  options: { nowMs?: number } = {},
): Promise<Device | null> {
  if (!isUuid(id)) return null;
  const kept = { on: state.on, mode: state.mode, limitPct: state.limitPct, action: state.action };
  const [row] = await db.query<Row>(sql.saveDeviceState(db.schema), [
    id,
    JSON.stringify(kept),
    new Date(options.nowMs ?? Date.now()),
  ]);
  return row ? rowToDevice(row) : getDevice(db, id);
}

/** Drops the kept state once the device is restored; returns it (null when none was kept). */
export async function clearStateBefore(db: Db, id: string): Promise<SavedState | null> {
  if (!isUuid(id)) return null;
  const [row] = await db.query<Row>(sql.clearDeviceState(db.schema), [id]);
  return row ? rowToDevice(row).stateBefore : null;
}

function rowToDevice(r: Row): Device {
  const saved = r.state_before as Record<string, unknown> | null;
  return {
    id: String(r.id),
    name: String(r.name),
    kind: r.kind as DeviceKind,
    adapter: r.adapter as AdapterConfig,
    ratedPowerW: Number(r.rated_power_w),
    delegated: Boolean(r.delegated),
    action: r.action as DeviceAction,
    limitPct: numOrNull(r.limit_pct),
    ecoMode: (r.eco_mode as string | null) ?? null,
    runMin: numOrNull(r.run_min),
    protectedWindows: (r.protected_windows as string[] | null) ?? [],
    stateBefore: saved
      ? {
          on: Boolean(saved.on),
          ...(typeof saved.mode === 'string' && { mode: saved.mode }),
          ...(typeof saved.limitPct === 'number' && { limitPct: saved.limitPct }),
          action: saved.action as DeviceAction,
          savedAtMs: ms(r.state_saved_at),
        }
      : null,
    createdMs: ms(r.created_at),
    updatedMs: ms(r.updated_at),
  };
}
