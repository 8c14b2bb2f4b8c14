/**
 * The operations on a home's devices that the API routes (and through them the CLI) call: list, get, add,
 * update, remove, and the household's overrides. Input is parsed here, once, with the device schema; a device is addressed by its id or
 * its name.
 */
import { InputError } from '../core/errors.ts';
import { unstorableText } from '../core/text.ts';
import { NotFoundError } from '../runner/errors.ts';
import { appendDecision } from '../store/audit.ts';
import type { Db } from '../store/db.ts';
import {
  clearStateBefore,
  deleteDevice,
  getDevice,
  getDeviceByName,
  insertDevice,
  listDevices,
  setDeviceOverride,
  updateDevice,
} from '../store/devices.ts';
import { isUuid } from '../store/loads.ts';
import { type Device, parseDevice, patchDevice } from './device.ts';

export const listHomeDevices = (db: Db): Promise<Device[]> => listDevices(db);

/** The device with this id or name; NotFoundError when there is none. */
export async function findHomeDevice(db: Db, ref: string): Promise<Device> {
  if (unstorableText(ref) !== null) throw new NotFoundError('device', JSON.stringify(ref));
  const device = (isUuid(ref) ? await getDevice(db, ref) : null) ?? (await getDeviceByName(db, ref));
  if (!device) throw new NotFoundError('device', `"${ref}"`);
  return device;
}

/** Stores a new device; InputError naming the field for bad input, a conflict when the name is taken. */
export async function addHomeDevice(db: Db, raw: unknown, options: { nowMs?: number } = {}): Promise<Device> {
  return insertDevice(db, parseDevice(raw), options);
}

/** Changes the fields `rawPatch` gives (`null` clears an optional one); the result is checked whole. */
export async function updateHomeDevice(
  db: Db,
  ref: string,
  rawPatch: unknown,
  options: { nowMs?: number } = {},
): Promise<Device> {
  const device = await findHomeDevice(db, ref);
  const updated = await updateDevice(db, device.id, patchDevice(device, rawPatch), options);
  if (!updated) throw new NotFoundError('device', `"${ref}"`);
  return updated;
}

/** Removes a device; returns it as it was. */
export async function removeHomeDevice(db: Db, ref: string): Promise<Device> {
  const device = await findHomeDevice(db, ref);
  if (!(await deleteDevice(db, device.id))) throw new NotFoundError('device', `"${ref}"`);
  return device;
}

/**
 * The household overrides the autopilot on a device until `untilMs` (a user action in the app): gridshift
 * leaves it alone until then and forgets a hold it had (the household decides how it is now). Logged.
 */
export async function overrideHomeDevice(
  db: Db,
  ref: string,
  override: { untilMs: number; reason?: string },
  nowMs: number,
): Promise<Device> {
  const device = await findHomeDevice(db, ref);
  if (!(override.untilMs > nowMs))
    throw new InputError(`until: ${new Date(override.untilMs).toISOString()} is not in the future`);
  const reason = override.reason?.trim() || 'set by the household';
  const updated = await setDeviceOverride(db, device.id, { untilMs: override.untilMs, reason });
  await clearStateBefore(db, device.id);
  await appendDecision(db, {
    kind: 'autopilot',
    atMs: nowMs,
    inputs: { device: device.name, deviceId: device.id, by: 'household' },
    choice: { act: 'override', rule: 'household', until: new Date(override.untilMs).toISOString() },
    reason: `${device.name}: override until ${new Date(override.untilMs).toISOString()} (${reason})`,
  });
  if (!updated) throw new NotFoundError('device', `"${ref}"`);
  return { ...updated, stateBefore: null };
}

/** Clears the household's override by hand: the autopilot decides again from its next round. Logged. */
export async function clearHomeDeviceOverride(db: Db, ref: string, nowMs: number): Promise<Device> {
  const device = await findHomeDevice(db, ref);
  const updated = await setDeviceOverride(db, device.id, null);
  if (!updated) throw new NotFoundError('device', `"${ref}"`);
  if (device.override)
    await appendDecision(db, {
      kind: 'autopilot',
      atMs: nowMs,
      inputs: { device: device.name, deviceId: device.id, by: 'household' },
      choice: { act: 'clear_override', rule: 'household' },
      reason: `${device.name}: override cleared by hand`,
    });
  return updated;
}
