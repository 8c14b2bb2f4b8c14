/**
 * Model predictive control of the configured home inside `gridshift serve`. A check runs every few minutes
 * and solves again when a slot begins or when what the plan is made from has changed (a new forecast, a
 * measurement). A solve plans the next hours exactly (optimizeHome, with soft goals so that a plan always
 * exists). It keeps the plan in the store and publishes the setpoints of the slot under way. One process
 * at a time solves (a run lock on the store); every process reads the plans from the store.
 */
import type { HomeConfig } from '../core/home-config.ts';
import { floorToStep, MINUTE_MS, toIso } from '../core/time.ts';
import { baseline } from '../optimize/baseline.ts';
import { type HomePlan, optimizeHome } from '../optimize/home.ts';
import { currentSetpoints, evSessionAt, type HomeState, homeStep } from '../optimize/home-horizon.ts';
import { type HomeScenario, parseScenario } from '../optimize/scenario.ts';
import { loadSolver, type Solver } from '../optimize/solve.ts';
import { errorMessage, type Log } from '../runner/context.ts';
import type { EventBus } from '../runner/events.ts';
import type { SignalProvider } from '../signals/provider.ts';
import type { SignalRegistry } from '../signals/registry.ts';
import type { Store } from '../store/db.ts';
import {
  homeMeasurementsSince,
  homeSetpointsSince,
  latestHomePlan,
  latestHomeReadings,
  type SlotSetpoints,
  type StoredHomePlan,
  saveHomePlan,
} from '../store/home.ts';
import { withRunLock } from '../store/scheduler.ts';
import { gatherHomeInputs, type HomeInputs, inputsHash, LOAD_HISTORY_MS } from './inputs.ts';
import type { HomeOutput, HomePublisher, SetpointsMessage } from './publish.ts';

/** Plans and setpoints are kept this long: what was planned, against what happened. */
export const HOME_HISTORY_MS = 30 * 24 * 60 * MINUTE_MS;
/** A measured SoC older than this many slots gives way to the SoC the plan in force expected. */
const SOC_FRESH_SLOTS = 2;

export type SolveReason = 'start' | 'slot' | 'inputs' | 'request';

export interface HomeTick {
  /** false when another process holds the lock, or nothing changed since the last solve */
  solved: boolean;
  plan?: StoredHomePlan;
  /** why it solved, or why not */
  reason: string;
}

export interface HomeController {
  readonly home: HomeConfig;
  /** checks and solves if needed (`force`: solve whatever changed) */
  tick(options?: { force?: boolean }): Promise<HomeTick>;
  start(): void;
  close(): Promise<void>;
}

export interface HomeControllerOptions {
  home: HomeConfig;
  store: Store;
  registry: SignalRegistry;
  publisher: HomePublisher;
  bus?: EventBus;
  log?: Log;
  now?: () => number;
  /** how often to check for changes (default the slot length, at most 5 minutes) */
  checkIntervalMs?: number;
  /** the PV forecast source (default the configured one) */
  pv?: SignalProvider;
  solver?: Solver;
}

/** The slot as planned, and the baseline's flows from the same state, with their cost and emissions. */
export function plannedSlot(s: HomeScenario, plan: HomePlan): Record<string, unknown> {
  const slot = plan.slots[0];
  const base = baseline(s).slots[0];
  const price = s.importPrice?.[0];
  const carbon = s.carbon?.[0];
  const valued = (importKw: number, exportKw: number) => ({
    ...(price !== undefined ? { cost: s.dtH * (price * importKw - s.exportPrice[0] * exportKw) } : {}),
    ...(carbon !== undefined ? { emissionsG: s.dtH * carbon * importKw } : {}),
  });
  return {
    loadKw: s.loadKw[0],
    pvKw: s.pvKw[0],
    importPrice: price ?? null,
    carbon: carbon ?? null,
    importKw: slot.importKw,
    exportKw: slot.exportKw,
    chargeKw: slot.chargeKw,
    dischargeKw: slot.dischargeKw,
    curtailKw: slot.curtailKw,
    evKw: slot.evKw,
    socKwh: slot.socKwh,
    ...valued(slot.importKw, slot.exportKw),
    baseline: { importKw: base.importKw, exportKw: base.exportKw, ...valued(base.importKw, base.exportKw) },
  };
}

/** What the next plan builds on: the battery's charge, the car's energy so far, appliance runs under way. */
export async function homeState(store: Store, home: HomeConfig, nowMs: number): Promise<HomeState> {
  const stepMs = home.stepMin * MINUTE_MS;
  const slotStart = floorToStep(nowMs, home.stepMin);
  const [readings, history] = await Promise.all([
    latestHomeReadings(store, nowMs),
    homeSetpointsSince(store, slotStart - 2 * 24 * 60 * MINUTE_MS),
  ]);
  const past = history.filter((h) => h.slotStartMs < slotStart);
  const state: HomeState = { applianceOnSlots: applianceRuns(home, past) };
  if (home.battery) {
    const expected = past.find((h) => h.slotStartMs === slotStart - stepMs)?.planned.socKwh;
    if (readings.socKwh !== null && (readings.socMs ?? 0) >= slotStart - SOC_FRESH_SLOTS * stepMs)
      state.socKwh = readings.socKwh;
    else if (typeof expected === 'number') state.socKwh = expected;
  }
  const session = evSessionAt(home, slotStart);
  if (home.ev && session) {
    const [arriveMs] = session;
    if (readings.evEnergyKwh !== null && (readings.evMs ?? 0) >= arriveMs)
      state.evDeliveredKwh = readings.evEnergyKwh;
    else
      state.evDeliveredKwh = past
        .filter((h) => h.slotStartMs >= arriveMs)
        .reduce(
          (sum, h) => sum + Number(h.planned.evKw ?? 0) * (stepMs / 3_600_000) * (home.ev?.efficiency ?? 1),
          0,
        );
  }
  return state;
}

function applianceRuns(home: HomeConfig, past: readonly SlotSetpoints[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const a of home.appliances)
    out[a.id] = past
      .filter((h) => (h.setpoints.appliances as Record<string, string> | undefined)?.[a.id] === 'on')
      .map((h) => h.slotStartMs);
  return out;
}

export function createHomeController(o: HomeControllerOptions): HomeController {
  const { home, store } = o;
  const now = o.now ?? Date.now;
  const log: Log = o.log ?? (() => {});
  const checkMs = o.checkIntervalMs ?? Math.min(home.stepMin, 5) * MINUTE_MS;
  let solver: Promise<Solver> | undefined = o.solver ? Promise.resolve(o.solver) : undefined;
  /** outputs still to take the setpoints of plan `planId` */
  let pending: { planId: number; message: SetpointsMessage; outputs: HomeOutput[] } | undefined;
  let lastSent: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let closed = false;

  const publishPending = async () => {
    if (!pending || pending.outputs.length === 0) return;
    const failed = await o.publisher.publish(pending.message, pending.outputs);
    for (const [output, error] of Object.entries(failed))
      log('warn', `home setpoints not published (${output})`, { error });
    pending.outputs = pending.outputs.filter((out) => failed[out] !== undefined);
  };

  const offer = (stored: StoredHomePlan, setpoints: SetpointsMessage['setpoints']) => {
    const text = JSON.stringify(setpoints);
    if (text === lastSent) return;
    lastSent = text;
    const message: SetpointsMessage = {
      type: 'home.setpoints',
      at: toIso(stored.solvedMs),
      planId: stored.id,
      reason: stored.reason,
      setpoints,
    };
    pending = { planId: stored.id, message, outputs: [...o.publisher.outputs] };
    o.bus?.publish(message);
  };

  const solve = async (
    reason: SolveReason,
    inputs: HomeInputs,
    state: HomeState,
    hash: string,
    atMs: number,
  ) => {
    const step = homeStep(home, atMs, inputs.forecasts, state);
    if (step.slots === 0)
      return { solved: false, reason: `nothing to plan on: ${inputs.degraded.join('; ')}` };
    const scenario = parseScenario(step.scenario);
    solver ??= loadSolver();
    const plan = optimizeHome(scenario, await solver, { soft: true });
    const setpoints = currentSetpoints(home, step, plan);
    const stored = await saveHomePlan(
      store,
      {
        solvedMs: atMs,
        startMs: step.startMs,
        stepMin: home.stepMin,
        slots: step.slots,
        reason,
        inputsHash: hash,
        scenario: step.scenario,
        plan: { ...plan, setpoints, appliances: step.appliances } as unknown as Record<string, unknown>,
        inputs: { sources: inputs.sources, degraded: inputs.degraded },
      },
      { setpoints: setpoints as unknown as Record<string, unknown>, planned: plannedSlot(scenario, plan) },
      HOME_HISTORY_MS,
    );
    offer(stored, setpoints);
    return { solved: true, plan: stored, reason };
  };

  const check = async (force: boolean): Promise<HomeTick> => {
    const atMs = now();
    const locked = await withRunLock(store, 'home controller', async (): Promise<HomeTick> => {
      const [readings, state, latest] = await Promise.all([
        homeMeasurementsSince(store, atMs - LOAD_HISTORY_MS),
        homeState(store, home, atMs),
        latestHomePlan(store),
      ]);
      const inputs = await gatherHomeInputs(home, atMs, {
        registry: o.registry,
        readings,
        ...(o.pv ? { pv: o.pv } : {}),
      });
      const hash = inputsHash(inputs, state);
      const sameSlot = latest?.startMs === floorToStep(atMs, home.stepMin);
      if (!force && latest && sameSlot && latest.inputsHash === hash) {
        // a process that has not published yet (it just started) publishes the plan in force
        const setpoints = latest.plan.setpoints as SetpointsMessage['setpoints'] | undefined;
        if (setpoints && lastSent === undefined) offer(latest, setpoints);
        return { solved: false, plan: latest, reason: 'nothing changed' };
      }
      const reason: SolveReason = force ? 'request' : !latest ? 'start' : !sameSlot ? 'slot' : 'inputs';
      return solve(reason, inputs, state, hash, atMs);
    });
    await publishPending();
    return locked.ran ? locked.value : { solved: false, reason: locked.reason };
  };

  const schedule = () => {
    if (closed) return;
    const atMs = now();
    const nextSlot = floorToStep(atMs, home.stepMin) + home.stepMin * MINUTE_MS;
    const delay = Math.max(1000, Math.min(checkMs, nextSlot - atMs + 1000));
    timer = setTimeout(() => {
      running = check(false)
        .catch((err) => log('warn', 'home plan failed', { error: errorMessage(err) }))
        .finally(schedule);
    }, delay);
  };

  return {
    home,
    tick: (options = {}) => {
      const run = running.then(() => check(options.force === true));
      running = run.catch(() => {});
      return run;
    },
    start() {
      if (timer || closed) return;
      running = check(false)
        .catch((err) => log('warn', 'home plan failed', { error: errorMessage(err) }))
        .finally(schedule);
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      await running.catch(() => {});
    },
  };
}
