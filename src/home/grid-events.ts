/**
 * Grid events: what a grid operator, an aggregator or the home's own meter says about the grid right now
 * (a peak alert, a frequency drop, a voltage anomaly, load shedding), with a severity, a time span and the
 * zones it concerns. Every source (the API, an MQTT topic, a polled JSON feed, a frequency meter) hands
 * events in through `parseGridEvent`, so they are checked once and alike.
 */
import { z } from 'zod';
import { InputError } from '../core/errors.ts';
import { resolveZone } from '../core/zones.ts';

export const GRID_EVENT_KINDS = ['peak_alert', 'frequency_drop', 'voltage_anomaly', 'load_shedding'] as const;
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export const GRID_EVENT_SOURCES = ['api', 'mqtt', 'feed', 'meter'] as const;

export type GridEventKind = (typeof GRID_EVENT_KINDS)[number];
export type Severity = (typeof SEVERITIES)[number];
export type GridEventSource = (typeof GRID_EVENT_SOURCES)[number];

export interface GridEvent {
  id: string;
  kind: GridEventKind;
  severity: Severity;
  startMs: number;
  /** null: until ended */
  endMs: number | null;
  /** zone codes; empty = every zone */
  zones: string[];
  source: GridEventSource;
  /** the source's own id: the same id from the same source is the same event (updated, not repeated) */
  externalId: string | null;
  /** the payload as the source sent it */
  raw: unknown;
  receivedMs: number;
}

export type NewGridEvent = Omit<GridEvent, 'id' | 'receivedMs'>;

const instant = z.union([z.iso.datetime({ offset: true }), z.number().int().positive()]);

/** An event as sources send it: `type` is accepted for `kind`, `start`/`end` as ISO-8601 or epoch ms. */
export const gridEventInput = z
  .object({
    id: z.string().min(1).max(200).optional(),
    kind: z.enum(GRID_EVENT_KINDS).optional(),
    type: z.enum(GRID_EVENT_KINDS).optional(),
    severity: z.enum(SEVERITIES),
    start: instant.optional(),
    end: instant.nullable().optional(),
    zones: z.array(z.string().min(1)).max(100).optional(),
    zone: z.string().min(1).optional(),
  })
  .loose();

export type GridEventInput = z.infer<typeof gridEventInput>;

const toMs = (v: string | number): number => (typeof v === 'number' ? v : Date.parse(v));

/** A source's payload as an event; an InputError naming the field otherwise. */
export function parseGridEvent(input: unknown, source: GridEventSource, nowMs: number): NewGridEvent {
  const parsed = gridEventInput.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(`${issue.path.join('.') || 'event'}: ${issue.message}`);
  }
  const e = parsed.data;
  const kind = e.kind ?? e.type;
  if (!kind) throw new InputError(`kind: give one of ${GRID_EVENT_KINDS.join(', ')}`);
  const startMs = e.start === undefined ? nowMs : toMs(e.start);
  const endMs = e.end === undefined || e.end === null ? null : toMs(e.end);
  if (endMs !== null && endMs <= startMs) throw new InputError(`end: ${e.end} is not after start`);
  const zones = [...(e.zones ?? []), ...(e.zone ? [e.zone] : [])].map((z, i) => {
    try {
      return resolveZone(z).code;
    } catch (err) {
      throw new InputError(`zones[${i}]: ${(err as Error).message.replace(/^zone: /, '')}`);
    }
  });
  return {
    kind,
    severity: e.severity,
    startMs,
    endMs,
    zones: [...new Set(zones)],
    source,
    externalId: e.id ?? null,
    raw: input,
  };
}

/** Whether the event is on at `nowMs` and concerns `zone` (an event without zones concerns every zone). */
export function isActive(event: GridEvent, nowMs: number, zone?: string): boolean {
  const on = event.startMs <= nowMs && (event.endMs === null || nowMs < event.endMs);
  return on && (zone === undefined || event.zones.length === 0 || event.zones.includes(zone));
}

const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/** The most severe of the events on now for the zone (the earliest started of equals), or null. */
export function worstActive(events: readonly GridEvent[], nowMs: number, zone?: string): GridEvent | null {
  let worst: GridEvent | null = null;
  for (const e of events) {
    if (!isActive(e, nowMs, zone)) continue;
    if (
      !worst ||
      RANK[e.severity] > RANK[worst.severity] ||
      (RANK[e.severity] === RANK[worst.severity] && e.startMs < worst.startMs)
    )
      worst = e;
  }
  return worst;
}
