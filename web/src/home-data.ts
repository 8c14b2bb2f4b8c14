import type { HomeHistory, HomePlan } from '../../src/client/index.ts';

/**
 * The Home page's charts as uPlot draws them: seconds on x, one more x closing the last slot. Flows and
 * prices hold for their whole slot (stepped lines); the SoC is the state at the end of each slot, so it is
 * drawn at the slot's end. The appliance runs become shaded spans, one per run of consecutive slots.
 */

export type HomeScale = 'kw' | 'kwh' | 'price';

export interface HomeLine {
  label: string;
  color: string;
  scale: HomeScale;
  values: (number | null)[];
  /** a stepped line (a value for the whole slot); else straight between points */
  stepped?: boolean;
  dash?: number[];
  /** readings: points only, no line */
  pointsOnly?: boolean;
}

export interface HomeSpan {
  fromS: number;
  toS: number;
  name: string;
  fill: string;
}

export interface HomeChartData {
  xs: number[];
  lines: HomeLine[];
  spans: HomeSpan[];
  nowS: number;
}

export const HOME_COLORS = {
  import: '#b3261e',
  export: '#1d6b35',
  pv: '#b06f00',
  load: '#333333',
  soc: '#1f4fa8',
  importPrice: '#1f4fa8',
  exportPrice: '#1d6b35',
  now: '#444',
};

/** The appliances' shading, in the order the plan lists them (the palette repeats after five). */
const APPLIANCE_FILLS = [
  'rgba(230, 140, 0, 0.22)',
  'rgba(120, 60, 170, 0.18)',
  'rgba(0, 140, 150, 0.18)',
  'rgba(200, 40, 90, 0.16)',
  'rgba(90, 90, 90, 0.18)',
];

const seconds = (iso: string) => Date.parse(iso) / 1000;

export function applianceIds(plan: HomePlan): string[] {
  return Object.keys(plan.series[0]?.appliances ?? plan.setpoints.appliances);
}

export function applianceFill(plan: HomePlan, id: string): string {
  const i = Math.max(0, applianceIds(plan).indexOf(id));
  return APPLIANCE_FILLS[i % APPLIANCE_FILLS.length] as string;
}

/** Each appliance's runs: consecutive slots where it runs, as spans of seconds. */
export function applianceRuns(plan: HomePlan): HomeSpan[] {
  const stepS = plan.stepMin * 60;
  const spans: HomeSpan[] = [];
  for (const id of applianceIds(plan)) {
    let open: HomeSpan | null = null;
    for (const slot of plan.series) {
      const fromS = seconds(slot.start);
      if (slot.appliances[id] === 1) {
        if (open && open.toS === fromS) open.toS = fromS + stepS;
        else {
          open = { fromS, toS: fromS + stepS, name: id, fill: applianceFill(plan, id) };
          spans.push(open);
        }
      }
    }
  }
  return spans;
}

function slotXs(starts: string[], stepMin: number): number[] {
  const xs = starts.map(seconds);
  const last = xs[xs.length - 1];
  return last === undefined ? [] : [...xs, last + stepMin * 60];
}

/** One value per slot, and the last one again at the closing x. */
const closed = (values: (number | null)[]) => [...values, values[values.length - 1] ?? null];
/** A state at each slot's end: nothing at the first x. */
const atEnds = (values: (number | null)[]) => [null, ...values];

/** The plan's flows (kW) and its battery's SoC (kWh), with the appliance runs. */
export function planPowerData(plan: HomePlan): HomeChartData {
  const s = plan.series;
  const hasBattery = plan.setpoints.battery !== undefined;
  const hasEv = s.some((p) => p.evKw > 0);
  const kw = (label: string, color: string, values: number[], dash?: number[]): HomeLine => ({
    label,
    color,
    scale: 'kw',
    values: closed(values),
    stepped: true,
    ...(dash ? { dash } : {}),
  });
  return {
    xs: slotXs(
      s.map((p) => p.start),
      plan.stepMin,
    ),
    lines: [
      kw(
        'Import',
        HOME_COLORS.import,
        s.map((p) => p.importKw),
      ),
      kw(
        'Export',
        HOME_COLORS.export,
        s.map((p) => p.exportKw),
      ),
      kw(
        'PV',
        HOME_COLORS.pv,
        s.map((p) => p.pvKw),
        [6, 4],
      ),
      kw(
        'House load',
        HOME_COLORS.load,
        s.map((p) => p.loadKw),
        [2, 3],
      ),
      ...(hasEv
        ? [
            kw(
              'EV charging',
              '#7a3db8',
              s.map((p) => p.evKw),
              [8, 3, 2, 3],
            ),
          ]
        : []),
      ...(hasBattery
        ? [
            {
              label: 'Battery SoC',
              color: HOME_COLORS.soc,
              scale: 'kwh' as const,
              values: atEnds(s.map((p) => p.socKwh)),
            },
          ]
        : []),
    ],
    spans: applianceRuns(plan),
    nowS: seconds(plan.setpoints.slotStart),
  };
}

/** The plan's import and export prices per kWh, with the appliance runs. */
export function planPriceData(plan: HomePlan): HomeChartData {
  const s = plan.series;
  return {
    xs: slotXs(
      s.map((p) => p.start),
      plan.stepMin,
    ),
    lines: [
      {
        label: 'Import price',
        color: HOME_COLORS.importPrice,
        scale: 'price',
        values: closed(s.map((p) => p.importPrice)),
        stepped: true,
      },
      {
        label: 'Export price',
        color: HOME_COLORS.exportPrice,
        scale: 'price',
        values: closed(s.map((p) => p.exportPrice)),
        stepped: true,
        dash: [6, 4],
      },
    ],
    spans: applianceRuns(plan),
    nowS: seconds(plan.setpoints.slotStart),
  };
}

export type PlannedSlot = {
  importKw?: number;
  exportKw?: number;
  socKwh?: number;
  loadKw?: number;
  pvKw?: number;
  cost?: number;
  emissionsG?: number;
  baseline?: { importKw?: number; exportKw?: number; cost?: number; emissionsG?: number };
};

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function plannedOf(slot: HomeHistory['slots'][number]): PlannedSlot {
  return slot.planned as PlannedSlot;
}

/**
 * The last hours: the grid import and SoC each slot was planned for, against the readings (points at the
 * instants they were read). The slots and the readings share one x axis: a planned line holds between its
 * slots' starts, the readings have no value elsewhere.
 */
export function historyData(history: HomeHistory, stepMin: number): HomeChartData {
  const slots = history.slots;
  const slotStarts = slotXs(
    slots.map((s) => s.start),
    stepMin,
  );
  const readings = history.measurements.map((m) => ({ ...m, s: seconds(m.at) }));
  const xs = [...new Set([...slotStarts, ...readings.map((r) => r.s)])].sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));
  const blank = () => xs.map((): number | null => null);
  const plannedImport = blank();
  const plannedSoc = blank();
  slots.forEach((slot, i) => {
    const p = plannedOf(slot);
    const start = at.get(slotStarts[i] as number) as number;
    const end = at.get(slotStarts[i + 1] as number) as number;
    plannedImport[start] = num(p.importKw);
    // a stepped line holds to the next point: repeat the value at every reading inside the slot
    for (let k = start + 1; k < end; k++) plannedImport[k] = num(p.importKw);
    plannedSoc[end] = num(p.socKwh);
  });
  const lastSlot = slots[slots.length - 1];
  if (lastSlot) plannedImport[xs.length - 1] = num(plannedOf(lastSlot).importKw);
  const measuredImport = blank();
  const measuredSoc = blank();
  for (const r of readings) {
    const i = at.get(r.s) as number;
    measuredImport[i] = r.importKw;
    measuredSoc[i] = r.socKwh;
  }
  const lines: HomeLine[] = [
    {
      label: 'Import, planned',
      color: HOME_COLORS.import,
      scale: 'kw',
      values: plannedImport,
      stepped: true,
    },
    {
      label: 'Import, read',
      color: HOME_COLORS.import,
      scale: 'kw',
      values: measuredImport,
      pointsOnly: true,
    },
    { label: 'SoC, planned', color: HOME_COLORS.soc, scale: 'kwh', values: plannedSoc, dash: [6, 4] },
    { label: 'SoC, read', color: HOME_COLORS.soc, scale: 'kwh', values: measuredSoc, pointsOnly: true },
  ];
  return {
    xs,
    lines: lines.filter((l) => l.values.some((v) => v !== null)),
    spans: [],
    nowS: seconds(history.to),
  };
}
