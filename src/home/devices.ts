/**
 * The operations on a home's devices that the API routes (and through them the CLI) call: list, get, add,
 * update, remove. Input is parsed here, once, with the device schema; a device is addressed by its id or
 * its name.
 */
import { unstorableText } from '../core/text.ts';
import { NotFoundError } from '../runner/errors.ts';
import type { Db } from '../store/db.ts';
import {
  deleteDevice,
  getDevice,
  getDeviceByName,
  insertDevice,
  listDevices,
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
