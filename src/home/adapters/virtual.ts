/**
 * A simulated device in this process, for simulation and tests: it switches, takes modes and power limits
 * like a real one, and draws its rated power (times its limit) while on. Devices live in a `VirtualDevices`
 * set keyed by name, so that every adapter made for one device sees the same simulated device; adapters
 * made without a set share the process's default set.
 */
import { describeAddress, type VirtualAdapterConfig } from '../device.ts';
import {
  type AdapterOptions,
  type DeviceAdapter,
  DeviceError,
  type DeviceFailure,
  type DeviceRef,
  type DeviceState,
} from './types.ts';

export interface SimulatedDevice {
  on: boolean;
  mode?: string;
  limitPct?: number;
  ratedPowerW: number;
  /** while set, every call fails with this kind (a simulated outage) */
  failure?: DeviceFailure;
  /** the calls received, in order: `turnOn`, `setMode eco`, ... */
  calls: string[];
}

export class VirtualDevices {
  private readonly devices = new Map<string, SimulatedDevice>();

  /** The simulated device `name`, made on first use. */
  get(name: string, init: { ratedPowerW: number; on?: boolean }): SimulatedDevice {
    let d = this.devices.get(name);
    if (!d) {
      d = { on: init.on ?? false, ratedPowerW: init.ratedPowerW, calls: [] };
      this.devices.set(name, d);
    }
    return d;
  }

  delete(name: string): void {
    this.devices.delete(name);
  }
}

export const defaultVirtualDevices = new VirtualDevices();

/** What a simulated device draws: its rated power, times its limit, while on. */
export function simulatedPowerW(d: SimulatedDevice): number {
  return d.on ? (d.ratedPowerW * (d.limitPct ?? 100)) / 100 : 0;
}

export function virtualAdapter(
  device: DeviceRef,
  config: VirtualAdapterConfig,
  options: AdapterOptions & { devices?: VirtualDevices } = {},
): DeviceAdapter {
  const where = { device: device.name, address: describeAddress(config) };
  const nowMs = options.nowMs ?? Date.now;
  const sim = (options.devices ?? defaultVirtualDevices).get(device.name, {
    ratedPowerW: device.ratedPowerW,
    on: config.on,
  });
  const act = async (call: string, change: () => void) => {
    if (sim.failure) throw new DeviceError(where, sim.failure, `simulated ${sim.failure} (${call})`);
    sim.calls.push(call);
    change();
  };
  return {
    device: device.name,
    address: where.address,
    async readState(): Promise<DeviceState> {
      if (sim.failure) throw new DeviceError(where, sim.failure, `simulated ${sim.failure} (readState)`);
      const state: DeviceState = { on: sim.on, powerW: simulatedPowerW(sim), seenAtMs: nowMs() };
      if (sim.mode !== undefined) state.mode = sim.mode;
      if (sim.limitPct !== undefined) state.limitPct = sim.limitPct;
      return state;
    },
    turnOn: () =>
      act('turnOn', () => {
        sim.on = true;
      }),
    turnOff: () =>
      act('turnOff', () => {
        sim.on = false;
      }),
    setMode: (mode: string) =>
      act(`setMode ${mode}`, () => {
        sim.mode = mode;
      }),
    setPowerLimit: (pct: number) => {
      if (!(pct >= 0 && pct <= 100))
        return Promise.reject(new DeviceError(where, 'failed', `power limit ${pct}% is not within 0-100`));
      return act(`setPowerLimit ${pct}`, () => {
        sim.limitPct = pct;
      });
    },
    async close() {},
  };
}
