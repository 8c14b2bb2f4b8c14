import { expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.ts';
import type { DeviceInput } from '../../src/home/device.ts';
import {
  addHomeDevice,
  findHomeDevice,
  listHomeDevices,
  removeHomeDevice,
  updateHomeDevice,
} from '../../src/home/devices.ts';
import {
  clearStateBefore,
  DeviceNameConflictError,
  getDevice,
  saveStateBefore,
} from '../../src/store/devices.ts';
import { describeEachStore } from './backends.ts';

const T0 = Date.UTC(2026, 0, 15, 17, 0, 0);

const boiler: DeviceInput = {
  name: 'boiler',
  kind: 'water_heater',
  adapter: {
    type: 'homeassistant',
    url: 'http://ha:8123',
    entityId: 'water_heater.boiler',
    tokenEnv: 'HA_TOKEN',
  },
  ratedPowerW: 3000,
  delegated: true,
  action: 'eco_mode',
  ecoMode: 'eco',
  protectedWindows: ['06:00-07:30', '22:00-01:00'],
};
const charger: DeviceInput = {
  name: 'ev',
  kind: 'ev_charger',
  adapter: { type: 'mqtt', convention: 'shelly', topic: 'shellypro1pm-aabbcc', channel: 0 },
  ratedPowerW: 11_000,
  action: 'limit_power',
  limitPct: 40,
};

describeEachStore('home devices', (suite) => {
  it('stores, lists by name, reads back by id and by name', async () => {
    const db = suite.db;
    const b = await addHomeDevice(db, boiler, { nowMs: T0 });
    const e = await addHomeDevice(db, charger, { nowMs: T0 + 1000 });
    expect(b).toEqual({
      ...boiler,
      id: b.id,
      limitPct: null,
      runMin: null,
      stateBefore: null,
      override: null,
      createdMs: T0,
      updatedMs: T0,
    });
    expect(e).toMatchObject({ delegated: false, limitPct: 40, ecoMode: null, protectedWindows: [] });
    expect((await listHomeDevices(db)).map((d) => d.name)).toEqual(['boiler', 'ev']);
    expect(await findHomeDevice(db, b.id)).toEqual(b);
    expect(await findHomeDevice(db, 'ev')).toEqual(e);
    await expect(findHomeDevice(db, 'dryer')).rejects.toThrow('device "dryer" not found');
    await expect(findHomeDevice(db, 'a\u0000b')).rejects.toThrow('not found');
    await removeHomeDevice(db, 'boiler');
    await removeHomeDevice(db, 'ev');
  });

  it('refuses bad input naming the field, and a name taken (on add and on rename)', async () => {
    const db = suite.db;
    await expect(addHomeDevice(db, { ...charger, limitPct: 140 })).rejects.toThrow(/^limitPct: /);
    await expect(addHomeDevice(db, { ...charger, limitPct: undefined })).rejects.toThrow(InputError);
    const first = await addHomeDevice(db, charger);
    await addHomeDevice(db, boiler);
    const again = await addHomeDevice(db, charger).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(DeviceNameConflictError);
    expect((again as Error).message).toBe('a device named "ev" exists already');
    await expect(updateHomeDevice(db, 'boiler', { name: 'ev' })).rejects.toThrow(DeviceNameConflictError);
    expect((await findHomeDevice(db, 'ev')).id).toBe(first.id);
    await removeHomeDevice(db, 'boiler');
    await removeHomeDevice(db, 'ev');
  });

  it('updates the fields a patch gives, clears with null and keeps id and creation time', async () => {
    const db = suite.db;
    const d = await addHomeDevice(db, charger, { nowMs: T0 });
    const u = await updateHomeDevice(
      db,
      'ev',
      { name: 'car', action: 'delay_start', runMin: 240, delegated: true, protectedWindows: ['07:00-08:00'] },
      { nowMs: T0 + 60_000 },
    );
    expect(u).toMatchObject({
      id: d.id,
      name: 'car',
      action: 'delay_start',
      runMin: 240,
      limitPct: null,
      delegated: true,
      protectedWindows: ['07:00-08:00'],
      createdMs: T0,
      updatedMs: T0 + 60_000,
    });
    await expect(updateHomeDevice(db, 'car', { runMin: null })).rejects.toThrow(
      'runMin: delay_start needs runMin',
    );
    await expect(updateHomeDevice(db, 'ev', { delegated: false })).rejects.toThrow('device "ev" not found');
    const removed = await removeHomeDevice(db, d.id);
    expect(removed.name).toBe('car');
    expect(await listHomeDevices(db)).toEqual([]);
    await expect(removeHomeDevice(db, d.id)).rejects.toThrow('not found');
  });

  it('keeps the state before the first action until it is restored, across a restart', async () => {
    const db = await suite.backend.open();
    const d = await addHomeDevice(db, boiler, { nowMs: T0 });
    const saved = await saveStateBefore(
      db,
      d.id,
      { on: true, mode: 'electric', action: 'eco_mode' },
      { nowMs: T0 + 5000 },
    );
    expect(saved?.stateBefore).toEqual({
      on: true,
      mode: 'electric',
      action: 'eco_mode',
      savedAtMs: T0 + 5000,
    });
    // a second action in the same peak does not replace what the device goes back to
    const second = await saveStateBefore(
      db,
      d.id,
      { on: true, mode: 'eco', action: 'eco_mode' },
      { nowMs: T0 + 9000 },
    );
    expect(second?.stateBefore?.mode).toBe('electric');
    // an update of the device keeps it
    await updateHomeDevice(db, 'boiler', { ratedPowerW: 2800 });

    await db.close(); // a restart
    const other = await suite.backend.reopen(db);
    try {
      expect((await getDevice(other, d.id))?.stateBefore).toEqual({
        on: true,
        mode: 'electric',
        action: 'eco_mode',
        savedAtMs: T0 + 5000,
      });
      expect(await clearStateBefore(other, d.id)).toEqual({
        on: true,
        mode: 'electric',
        action: 'eco_mode',
        savedAtMs: T0 + 5000,
      });
      expect(await clearStateBefore(other, d.id)).toBeNull();
      expect((await getDevice(other, d.id))?.stateBefore).toBeNull();
      await saveStateBefore(other, d.id, { on: false, limitPct: 80, action: 'limit_power' }, { nowMs: T0 });
      expect((await getDevice(other, d.id))?.stateBefore).toEqual({
        on: false,
        limitPct: 80,
        action: 'limit_power',
        savedAtMs: T0,
      });
      expect(
        await saveStateBefore(other, '00000000-0000-4000-8000-000000000000', {
          on: true,
          action: 'turn_off',
        }),
      ).toBeNull();
    } finally {
      await other.close();
    }
  });
});
