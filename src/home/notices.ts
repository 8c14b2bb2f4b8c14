/**
 * What the home is told, decided purely: the clean, cheapest and "cheapest and cleanest" windows on now
 * (runs of slots from the day's window flags, signals/quality.ts dayWindows), the grid events worth telling,
 * quiet hours, and each notice's words. A notice's key names its transition (the kind and the window's
 * start, or the event and its severity), so each transition is told once.
 */
import type { HomeConfig, HomeNotifyConfig, NoticeWindow } from '../core/home-config.ts';
import { MINUTE_MS, toIso } from '../core/time.ts';
import type { DayWindows } from '../signals/quality.ts';
import { activeDailyWindow } from './device.ts';
import type { GridEvent, Severity } from './grid-events.ts';

export type NoticeKind = 'clean_window' | 'cheapest_window' | 'best_window' | 'grid_event';

export interface HomeNotice {
  type: 'home.notice';
  /** names the transition: the same key is never told twice */
  key: string;
  kind: NoticeKind;
  at: string;
  title: string;
  message: string;
  /** the window's span (window notices) */
  window?: { start: string; end: string };
  gridEvent?: { id: string; kind: string; severity: Severity; start: string; end: string | null };
  /** the appliances whose window is open now: what could run */
  devices: string[];
  /** for pushes: 1 (min) .. 5 (max), as ntfy counts */
  priority: number;
}

const KIND_OF: Record<NoticeWindow, NoticeKind> = {
  clean: 'clean_window',
  cheapest: 'cheapest_window',
  best: 'best_window',
};

const TITLES: Record<NoticeWindow, string> = {
  clean: 'Clean electricity now',
  cheapest: 'Cheapest electricity now',
  best: 'Best time to run appliances now',
};

/** The run of true flags around index `i`: [from, to), or null when flag `i` is false. */
export function runAround(flags: readonly boolean[], i: number): [number, number] | null {
  if (!flags[i]) return null;
  let from = i;
  let to = i + 1;
  while (from > 0 && flags[from - 1]) from--;
  while (to < flags.length && flags[to]) to++;
  return [from, to];
}

/** The appliances whose daily window is open at `ms`. */
export function appliancesOpen(home: HomeConfig, ms: number): string[] {
  return home.appliances
    .filter((a) => activeDailyWindow([`${a.earliest}-${a.latestEnd}`], ms, home.timeZone) !== null)
    .map((a) => a.id);
}

const fmt = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : '?');

/**
 * The window notices on at `nowMs`: for each kind asked, the window (run of slots) that holds the slot now.
 * `day` is the home's day slot by slot from `dayStartMs`.
 */
export function windowNotices(
  home: HomeConfig,
  notify: HomeNotifyConfig,
  day: DayWindows & { carbon: ArrayLike<number>; price?: ArrayLike<number> },
  dayStartMs: number,
  nowMs: number,
): HomeNotice[] {
  const stepMs = home.stepMin * MINUTE_MS;
  const i = Math.floor((nowMs - dayStartMs) / stepMs);
  const flags: Record<NoticeWindow, boolean[]> = { clean: day.clean, cheapest: day.cheapest, best: day.both };
  const devices = appliancesOpen(home, nowMs);
  const out: HomeNotice[] = [];
  for (const w of notify.windows) {
    const run = runAround(flags[w], i);
    if (!run) continue;
    const start = dayStartMs + run[0] * stepMs;
    const end = dayStartMs + run[1] * stepMs;
    const carbon = `${fmt(day.carbon[i], 0)} g/kWh (day mean ${fmt(day.carbonMean, 0)})`;
    const price = day.price ? `${fmt(day.price[i], 3)} per kWh` : '';
    const what = w === 'clean' ? carbon : w === 'cheapest' ? price : `${carbon}, ${price}`;
    const until = new Date(end).toLocaleTimeString('en-GB', {
      timeZone: home.timeZone,
      hour: '2-digit',
      minute: '2-digit',
    });
    out.push({
      type: 'home.notice',
      key: `${KIND_OF[w]}:${toIso(start)}`,
      kind: KIND_OF[w],
      at: toIso(nowMs),
      title: TITLES[w],
      message: `${what} until ${until}${devices.length ? `: ${devices.join(', ')} could run now` : ''}`,
      window: { start: toIso(start), end: toIso(end) },
      devices,
      priority: w === 'best' ? 4 : 3,
    });
  }
  return out;
}

const RANK: Record<Severity | 'off', number> = { info: 0, warning: 1, critical: 2, off: 3 };

/** The notice of a grid event that started or changed, or null when its severity is below what is told. */
export function gridEventNotice(
  home: HomeConfig,
  notify: HomeNotifyConfig,
  e: GridEvent,
  nowMs: number,
): HomeNotice | null {
  if (RANK[e.severity] < RANK[notify.gridEvents]) return null;
  const label = e.kind.replace('_', ' ');
  const until = e.endMs === null ? 'until further notice' : `until ${toIso(e.endMs)}`;
  return {
    type: 'home.notice',
    key: `grid_event:${e.id}:${e.severity}`,
    kind: 'grid_event',
    at: toIso(nowMs),
    title: `Grid ${label} (${e.severity})`,
    message: `${label} ${until}${e.zones.length ? ` in ${e.zones.join(', ')}` : ''}`,
    gridEvent: {
      id: e.id,
      kind: e.kind,
      severity: e.severity,
      start: toIso(e.startMs),
      end: e.endMs === null ? null : toIso(e.endMs),
    },
    devices: e.severity === 'critical' ? [] : appliancesOpen(home, nowMs),
    priority: e.severity === 'critical' ? 5 : e.severity === 'warning' ? 4 : 3,
  };
}

/** Quiet hours hold every notice but a critical grid event's. */
export function heldByQuietHours(
  home: HomeConfig,
  notify: HomeNotifyConfig,
  n: HomeNotice,
  nowMs: number,
): boolean {
  if (n.kind === 'grid_event' && n.gridEvent?.severity === 'critical') return false;
  return activeDailyWindow(notify.quietHours, nowMs, home.timeZone) !== null;
}
