import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { adapterFor } from '../../../src/home/adapters/index.ts';
import { DeviceError } from '../../../src/home/adapters/types.ts';
import { simulatedPowerW, VirtualDevices, virtualAdapter } from '../../../src/home/adapters/virtual.ts';

const charger = { name: 'ev', ratedPowerW: 11_000 };

describe('virtual device', () => {
  it('switches, takes a mode and a limit, and draws rated power times its limit while on', async () => {
    const devices = new VirtualDevices();
    const a = virtualAdapter(charger, { type: 'virtual' }, { devices, nowMs: () => 3 });
    expect(await a.readState()).toEqual({ on: false, powerW: 0, seenAtMs: 3 });
    await a.turnOn();
    expect((await a.readState()).powerW).toBe(11_000);
    await a.setPowerLimit(25);
    await a.setMode('eco');
    expect(await a.readState()).toEqual({ on: true, powerW: 2750, mode: 'eco', limitPct: 25, seenAtMs: 3 });
    await a.turnOff();
    expect((await a.readState()).powerW).toBe(0);
    expect(devices.get('ev', charger).calls).toEqual([
      'turnOn',
      'setPowerLimit 25',
      'setMode eco',
      'turnOff',
    ]);
  });

  it('is one simulated device for every adapter made for it', async () => {
    const devices = new VirtualDevices();
    await virtualAdapter(charger, { type: 'virtual' }, { devices }).turnOn();
    expect((await virtualAdapter(charger, { type: 'virtual' }, { devices }).readState()).on).toBe(true);
    expect(
      (
        await virtualAdapter(
          { ...charger, name: 'other' },
          { type: 'virtual', on: false },
          { devices },
        ).readState()
      ).on,
    ).toBe(false);
  });

  it('fails like a real device while a failure is simulated', async () => {
    const devices = new VirtualDevices();
    const a = virtualAdapter(charger, { type: 'virtual', on: true }, { devices });
    devices.get('ev', charger).failure = 'unreachable';
    const err = await a.turnOff().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    expect((err as DeviceError).kind).toBe('unreachable');
    expect((err as Error).message).toBe(
      'device "ev" (virtual): unreachable: simulated unreachable (turnOff)',
    );
    expect(devices.get('ev', charger).on).toBe(true);
    await expect(a.setPowerLimit(120)).rejects.toThrow('not within 0-100');
  });

  it('draws between 0 and rated power whatever its limit (property)', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.integer({ min: 0, max: 100 }),
        fc.double({ min: 1, max: 1e6, noNaN: true }),
        (on, pct, rated) => {
          const p = simulatedPowerW({ on, limitPct: pct, ratedPowerW: rated, calls: [] });
          expect(p).toBeGreaterThanOrEqual(0);
          expect(p).toBeLessThanOrEqual(rated);
          expect(p === 0).toBe(!on || pct === 0);
        },
      ),
    );
  });
});

describe('adapterFor', () => {
  it('picks the adapter by type and names the address', () => {
    const base = { name: 'x', ratedPowerW: 100 };
    expect(adapterFor({ ...base, adapter: { type: 'shelly', url: 'http://192.168.1.20' } }).address).toBe(
      'shelly http://192.168.1.20 switch 0',
    );
    expect(
      adapterFor({ ...base, adapter: { type: 'homeassistant', url: 'http://ha:8123', entityId: 'switch.x' } })
        .address,
    ).toBe('homeassistant http://ha:8123 switch.x');
    expect(
      adapterFor(
        { ...base, adapter: { type: 'mqtt', convention: 'tasmota', topic: 'plug', channel: 2 } },
        { env: { GRIDSHIFT_MQTT_URL: 'mqtt://user:pw@broker:1883' } },
      ).address,
    ).toBe('mqtt tasmota plug channel 2 on mqtt://broker:1883');
    expect(
      adapterFor({ ...base, adapter: { type: 'virtual' } }, { virtualDevices: new VirtualDevices() }).address,
    ).toBe('virtual');
  });
});
