/**
 * The home autopilot: every minute, for each device, the situation (its state read through its adapter, an
 * override, a protected window, a critical grid event, the strategy's penalty now) goes through the priority
 * table (priority.ts), and what it says is done. Holding a device saves its state first, in the store, so
 * that putting it back works across restarts. Every act, and every override seen, goes into the
 * hash-chained decision log with its reasons and is announced as a `home.device` event.
 */
import type { HomeConfig } from '../core/home-config.ts';
import { DAY_MS, floorToStep, MINUTE_MS, toIso } from '../core/time.ts';
import { penaltyTimeline } from '../planner/strategies.ts';
import { errorMessage, type Log } from '../runner/context.ts';
import type { EventBus } from '../runner/events.ts';
import type { SignalRegistry } from '../signals/registry.ts';
import { appendDecision } from '../store/audit.ts';
import type { Db } from '../store/db.ts';
import { clearStateBefore, listDevices, saveStateBefore, setDeviceOverride } from '../store/devices.ts';
import { listGridEvents } from '../store/grid-events.ts';
import { adapterFor, type DeviceAdapter, DeviceError, type DeviceState } from './adapters/index.ts';
import type { VirtualDevices } from './adapters/virtual.ts';
import { activeProtectedWindow, type Device } from './device.ts';
import { worstActive } from './grid-events.ts';
import { type DeviceSituation, decide, type Verdict } from './priority.ts';

export interface PenaltyNow {
  value: number;
  threshold: number;
  /** the end of the run of slots above the threshold that holds now (null: not above now) */
  aboveUntilMs: number | null;
  strategy: HomeConfig['strategy'];
}

/** The strategy's penalty now for the home's zone, and how long it stays above the home's threshold. */
export async function penaltyNow(
  home: HomeConfig,
  registry: SignalRegistry,
  nowMs: number,
): Promise<PenaltyNow> {
  const dayMs = floorToStep(nowMs, 24 * 60);
  const signals = await registry.getZoneSignals(home.zone, {
    fromMs: dayMs,
    toMs: dayMs + 2 * DAY_MS,
    nowMs,
    stepMin: home.stepMin,
    priceRequired: false,
  });
  const timeline = penaltyTimeline(
    {
      startMs: signals.carbon.startMs,
      stepMin: home.stepMin,
      carbon: signals.carbon.values,
      ...(signals.price ? { price: signals.price.values } : {}),
    },
    home.strategy,
  );
  const stepMs = home.stepMin * MINUTE_MS;
  const i = Math.floor((nowMs - timeline.startMs) / stepMs);
  const value = timeline.values[i] ?? Number.NaN;
  let end = i;
  while (end < timeline.values.length && timeline.values[end] > home.delayThreshold) end++;
  return {
    value,
    threshold: home.delayThreshold,
    aboveUntilMs: end > i ? timeline.startMs + end * stepMs : null,
    strategy: home.strategy,
  };
}

export interface AutopilotOptions {
  home: HomeConfig;
  store: Db;
  registry: SignalRegistry;
  bus?: Pick<EventBus, 'publish'>;
  log?: Log;
  now?: () => number;
  env?: NodeJS.ProcessEnv;
  /** the simulated devices behind `virtual` adapters (default the process's) */
  virtualDevices?: VirtualDevices;
  /** how often a round runs (default 1 minute) */
  intervalMs?: number;
}

export interface DeviceOutcome {
  device: string;
  verdict: Verdict;
  /** what went wrong acting on it */
  error?: string;
}

export interface Autopilot {
  /** one round over every device */
  round(): Promise<DeviceOutcome[]>;
  start(): void;
  close(): Promise<void>;
}

/** Holds the device: its action, after its state is saved. */
async function hold(store: Db, device: Device, adapter: DeviceAdapter, state: DeviceState, nowMs: number) {
  await saveStateBefore(
    store,
    device.id,
    {
      on: state.on,
      ...(state.mode !== undefined ? { mode: state.mode } : {}),
      ...(state.limitPct !== undefined ? { limitPct: state.limitPct } : {}),
      action: device.action,
    },
    { nowMs },
  );
  if (device.action === 'eco_mode') await adapter.setMode(device.ecoMode ?? 'eco');
  else if (device.action === 'limit_power') await adapter.setPowerLimit(device.limitPct ?? 0);
  else await adapter.turnOff();
}

/** Puts the device back as it was before it was held, then forgets the saved state. */
async function release(store: Db, device: Device, adapter: DeviceAdapter) {
  const saved = device.stateBefore;
  if (saved) {
    if (saved.action === 'eco_mode') await adapter.setMode(saved.mode ?? 'normal');
    else if (saved.action === 'limit_power') await adapter.setPowerLimit(saved.limitPct ?? 100);
    else if (saved.on) await adapter.turnOn();
  }
  await clearStateBefore(store, device.id);
}

export function createAutopilot(o: AutopilotOptions): Autopilot {
  const { home, store } = o;
  const now = o.now ?? Date.now;
  const log: Log = o.log ?? (() => {});
  const adapters = new Map<string, { adapter: DeviceAdapter; key: string }>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let closed = false;

  /** One adapter per device, made again when the device's address changes. */
  const adapterOf = async (device: Device): Promise<DeviceAdapter> => {
    const key = JSON.stringify(device.adapter);
    const known = adapters.get(device.id);
    if (known && known.key === key) return known.adapter;
    await known?.adapter.close().catch(() => {});
    const adapter = adapterFor(device, {
      ...(o.env ? { env: o.env } : {}),
      nowMs: now,
      ...(o.virtualDevices ? { virtualDevices: o.virtualDevices } : {}),
    });
    adapters.set(device.id, { adapter, key });
    return adapter;
  };

  const record = async (
    device: Device,
    situation: DeviceSituation,
    outcome: DeviceOutcome,
    nowMs: number,
  ) => {
    const { verdict } = outcome;
    await appendDecision(store, {
      kind: 'autopilot',
      atMs: nowMs,
      inputs: {
        device: device.name,
        deviceId: device.id,
        action: device.action,
        state: situation.state,
        held: situation.heldAction,
        overrideUntil: situation.overrideUntilMs === null ? null : toIso(situation.overrideUntilMs),
        protectedWindow: situation.protectedNow,
        gridEvent: situation.criticalEvent,
        penalty: Number.isFinite(situation.penalty.value) ? situation.penalty.value : null,
        threshold: situation.penalty.threshold,
        strategy: home.strategy,
      },
      choice: { act: verdict.act, rule: verdict.rule, ...(outcome.error ? { error: outcome.error } : {}) },
      reason: `${device.name}: ${verdict.reason}${outcome.error ? ` (failed: ${outcome.error})` : ''}`,
    });
    o.bus?.publish({
      type: 'home.device',
      at: toIso(nowMs),
      device: device.name,
      act: verdict.act,
      rule: verdict.rule,
      reason: verdict.reason,
      ...(outcome.error ? { error: outcome.error } : {}),
    });
  };

  const one = async (
    device: Device,
    penalty: PenaltyNow,
    critical: DeviceSituation['criticalEvent'],
    nowMs: number,
  ) => {
    const adapter = await adapterOf(device);
    let state: DeviceState | null = null;
    let readError: string | undefined;
    try {
      state = await adapter.readState();
    } catch (err) {
      readError = errorMessage(err);
      if (!(err instanceof DeviceError)) throw err;
    }
    const situation: DeviceSituation = {
      delegated: device.delegated,
      action: device.action,
      state,
      heldAction: device.stateBefore?.action ?? null,
      overrideUntilMs: device.override?.untilMs ?? null,
      protectedNow: activeProtectedWindow(device, nowMs, home.timeZone) !== null,
      criticalEvent: critical,
      penalty,
      nowMs,
    };
    const verdict = decide(situation);
    const outcome: DeviceOutcome = { device: device.name, verdict };
    if (verdict.act === 'leave') {
      if (readError && device.delegated) log('warn', `autopilot: ${readError}`);
      return outcome;
    }
    try {
      if (verdict.act === 'hold' && state) await hold(store, device, adapter, state, nowMs);
      if (verdict.act === 'release') await release(store, device, adapter);
      if (verdict.act === 'override') {
        await setDeviceOverride(store, device.id, {
          untilMs: verdict.untilMs,
          reason: 'switched on by hand',
        });
        await clearStateBefore(store, device.id);
      }
    } catch (err) {
      outcome.error = errorMessage(err);
    }
    await record(device, situation, outcome, nowMs);
    return outcome;
  };

  const round = async (): Promise<DeviceOutcome[]> => {
    const nowMs = now();
    const devices = await listDevices(store);
    if (devices.length === 0) return [];
    const penalty = await penaltyNow(home, o.registry, nowMs).catch((err) => {
      log('warn', 'autopilot: no penalty now', { error: errorMessage(err) });
      return {
        value: Number.NaN,
        threshold: home.delayThreshold,
        aboveUntilMs: null,
        strategy: home.strategy,
      };
    });
    const worst = home.gridProtection
      ? worstActive(await listGridEvents(store, nowMs), nowMs, home.zone)
      : null;
    const critical = worst?.severity === 'critical' ? { id: worst.id, kind: worst.kind } : null;
    const out: DeviceOutcome[] = [];
    for (const device of devices) out.push(await one(device, penalty, critical, nowMs));
    return out;
  };

  const schedule = () => {
    if (closed) return;
    timer = setTimeout(() => {
      running = round()
        .catch((err) => log('warn', 'autopilot round failed', { error: errorMessage(err) }))
        .finally(schedule);
    }, o.intervalMs ?? MINUTE_MS);
  };

  return {
    round: () => {
      const run = running.then(round);
      running = run.catch(() => {});
      return run;
    },
    start() {
      if (timer || closed) return;
      running = round()
        .catch((err) => log('warn', 'autopilot round failed', { error: errorMessage(err) }))
        .finally(schedule);
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      await running.catch(() => {});
      await Promise.all([...adapters.values()].map((a) => a.adapter.close().catch(() => {})));
    },
  };
}
