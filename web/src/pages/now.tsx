import { useEffect, useMemo, useRef } from 'preact/hooks';
import type { Dashboard, ServerEvent } from '../../../src/client/index.ts';
import { chartData } from '../chart-data.ts';
import { NumbersTable } from '../components/numbers-table.tsx';
import { COLORS, SignalChart } from '../components/signal-chart.tsx';
import { TroubleNotice } from '../components/trouble-notice.tsx';
import { ZonePicker } from '../components/zone-picker.tsx';
import { grams, price, timeIn, zoneTimeName } from '../format.ts';
import { LIVE_TEXT, type LiveState, useLiveEvents } from '../live.ts';
import { navigate, useLocation } from '../router.ts';
import { useSession } from '../session.ts';
import { useApiRead } from '../use-read.ts';

/**
 * The landing page: a zone's grid now (carbon intensity, its level, "clean now?", price, the sources and
 * whether they are degraded), its last 12 and next 24 hours on a chart with the waiting loads' windows,
 * and a banner when a clean or cheapest-and-cleanest window is on. One request (GET /v1/dashboard) fills
 * it; the server's events make it read again, without a reload.
 */

const ZONE_KEY = 'gridshift.zone';
/** the chart moves on with the clock even when no event comes */
const REFRESH_MS = 5 * 60_000;
/** events often come in bursts (a planner run): read once after the burst */
const SETTLE_MS = 250;
/** set once the figures and the chart are first on the page: what bench/dashboard.ts measures */
export const FIRST_RENDER_MARK = 'gridshift:now-rendered';

function rememberedZone(): string | null {
  try {
    return localStorage.getItem(ZONE_KEY);
  } catch {
    return null;
  }
}

function rememberZone(zone: string): void {
  try {
    localStorage.setItem(ZONE_KEY, zone);
  } catch {
    // storage disabled
  }
}

/** Whether an event may change what the page shows for `zone`. */
function concerns(event: ServerEvent, zone: string | undefined): boolean {
  if (event.type === 'load.state') return true;
  if (event.type === 'home.setpoints' || event.type === 'grid.event' || event.type === 'home.notice')
    return false;
  return zone === undefined || event.zone === zone;
}

export function NowPage() {
  const session = useSession();
  const { query } = useLocation();
  const asked = query.get('zone') ?? rememberedZone() ?? undefined;
  // read early: the first request starts right after the first render, not a frame later
  const {
    data: dashboard,
    trouble,
    read,
  } = useApiRead(
    (client, signal) => client.dashboard.get(asked ? { zone: asked } : {}, { signal }),
    [asked],
    { refreshMs: REFRESH_MS, early: true },
  );

  const settle = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const live = useLiveEvents(session.client, (event) => {
    if (event && !concerns(event, dashboard?.zone.code)) return;
    clearTimeout(settle.current);
    settle.current = setTimeout(read, SETTLE_MS);
  });
  useEffect(() => () => clearTimeout(settle.current), []);

  // the chart draws in its own effect, which runs before this one
  useEffect(() => {
    if (dashboard && performance.getEntriesByName(FIRST_RENDER_MARK).length === 0)
      performance.mark(FIRST_RENDER_MARK);
  }, [dashboard]);

  const pickZone = (zone: string) => {
    rememberZone(zone);
    navigate(`/?zone=${encodeURIComponent(zone)}`);
  };

  if (!dashboard)
    return (
      <section aria-labelledby="page-title" aria-busy={!trouble}>
        <h1 id="page-title">Now</h1>
        {trouble ? (
          <TroubleNotice trouble={trouble} onRetry={read} />
        ) : (
          <p class="skeleton">Reading the grid…</p>
        )}
      </section>
    );
  return (
    <section aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title">
          Now in {dashboard.zone.name} <span class="code">{dashboard.zone.code}</span>
        </h1>
        <ZonePicker
          zones={dashboard.zones}
          regions={dashboard.cloudRegions}
          current={dashboard.zone.code}
          onPick={pickZone}
        />
      </div>
      {trouble && <TroubleNotice trouble={trouble} onRetry={read} />}
      <WindowBanner dashboard={dashboard} />
      <Figures dashboard={dashboard} />
      <Sources dashboard={dashboard} />
      <ChartFigure dashboard={dashboard} />
      <NumbersTable dashboard={dashboard} />
      <WaitingLoads dashboard={dashboard} />
      <LiveStatus state={live} at={dashboard.at} timeZone={dashboard.zone.timeZone} />
    </section>
  );
}

function WindowBanner({ dashboard: d }: { dashboard: Dashboard }) {
  if (!d.windows.clean && !d.windows.bestNow) return null;
  const what = d.windows.bestNow ? 'The cheapest and cleanest window is on' : 'A clean window is on';
  return (
    <p class="banner" role="status" data-testid="window-banner">
      <strong>{what}</strong> in {d.zone.name}: {grams(d.carbon?.current)} g/kWh
      {d.carbon?.forecastMean !== null && d.carbon?.forecastMean !== undefined
        ? `, below the coming hours' mean of ${grams(d.carbon.forecastMean)}`
        : ''}
      . A good time to run flexible loads.
    </p>
  );
}

function Figures({ dashboard: d }: { dashboard: Dashboard }) {
  const carbon = d.carbon;
  return (
    <div class="figures">
      <div class="figure">
        <h2>Carbon intensity</h2>
        <p class="big" data-testid="carbon-now">
          {grams(carbon?.current)} <span class="unit">g/kWh</span>
        </p>
        <p>
          {carbon?.level ? `Level: ${carbon.level}` : 'No level'}
          {carbon?.relativeLevel ? ` · ${carbon.relativeLevel} for this grid's coming hours` : ''}
        </p>
      </div>
      <div class="figure">
        <h2>Clean now?</h2>
        <p class="big" data-testid="clean-now">
          {carbon?.cleanNow ? 'Yes' : 'No'}
        </p>
        <p>{carbon?.reason ?? 'No carbon data.'}</p>
      </div>
      <div class="figure">
        <h2>Price</h2>
        <p class="big" data-testid="price-now">
          {price(d.price?.current)} <span class="unit">{d.price?.unit ?? ''}</span>
        </p>
        <p>{d.price?.relativeLevel ? `${d.price.relativeLevel} for the coming hours` : 'No price data.'}</p>
      </div>
    </div>
  );
}

function Sources({ dashboard: d }: { dashboard: Dashboard }) {
  const parts = [
    { what: 'Carbon', s: d.carbon },
    { what: 'Price', s: d.price },
  ];
  const degraded = parts.filter((p) => p.s?.degraded);
  return (
    <div class="sources" data-testid="sources">
      <p>
        {parts.map((p) => `${p.what}: ${p.s?.source ?? 'no source'}`).join(' · ')}
        {degraded.length === 0 ? ' · not degraded' : ''}
      </p>
      {degraded.length > 0 && (
        <div class="degraded" role="note" data-testid="degraded">
          <p>
            <strong>Degraded data.</strong>
          </p>
          <ul>
            {degraded.flatMap((p) =>
              (p.s?.reasons ?? []).map((r) => (
                <li key={`${p.what}${r}`}>
                  {p.what}: {r}
                </li>
              )),
            )}
          </ul>
        </div>
      )}
    </div>
  );
}

function ChartFigure({ dashboard: d }: { dashboard: Dashboard }) {
  const data = useMemo(() => chartData(d), [d]);
  const tz = d.zone.timeZone;
  const label =
    `Carbon intensity${data.hasPrice ? ' and price' : ''} in ${d.zone.name} from ` +
    `${timeIn(d.from, tz, true)} to ${timeIn(d.to, tz, true)} (${zoneTimeName(tz)}); ` +
    `${d.loads.length} waiting load${d.loads.length === 1 ? '' : 's'} shaded. The numbers are in the table below.`;
  return (
    <figure class="chart-figure">
      <figcaption>
        <span class="key">
          <span class="swatch" style={{ borderColor: COLORS.carbon }} /> carbon, g/kWh
        </span>
        {data.hasPrice && (
          <span class="key">
            <span class="swatch" style={{ borderColor: COLORS.price }} /> price, {d.price?.unit}
          </span>
        )}
        <span class="key">
          <span class="swatch dashed" /> forecast
        </span>
        {data.carbonBand && (
          <span class="key">
            <span class="swatch window" style={{ background: COLORS.band }} /> carbon forecast, 10-90 %
          </span>
        )}
        <span class="key">
          <span class="swatch window" style={{ background: COLORS.window }} /> waiting loads
        </span>
        <span class="key">{zoneTimeName(tz)}</span>
      </figcaption>
      <SignalChart data={data} timeZone={tz} priceUnit={d.price?.unit ?? ''} label={label} />
    </figure>
  );
}

function WaitingLoads({ dashboard: d }: { dashboard: Dashboard }) {
  const tz = d.zone.timeZone;
  return (
    <section class="waiting" aria-labelledby="waiting-title">
      <h2 id="waiting-title">Waiting to run here</h2>
      {!d.scheduler && <p>This server runs without a scheduler: no loads.</p>}
      {d.scheduler && d.loads.length === 0 && <p>No load is waiting in {d.zone.name}.</p>}
      {d.loads.length > 0 && (
        <ul data-testid="waiting-loads">
          {d.loads.map((l) => (
            <li key={l.id}>
              <strong>{l.name}</strong> ({l.state}):{' '}
              {l.runs.length > 0
                ? l.runs.map((r) => `${timeIn(r.start, tz, true)}–${timeIn(r.end, tz)}`).join(', ')
                : 'not planned yet'}
              , deadline {timeIn(l.deadline, tz, true)}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function LiveStatus(props: { state: LiveState; at: string; timeZone: string }) {
  return (
    <p class="live" aria-live="polite" data-testid="live-state" data-state={props.state}>
      {LIVE_TEXT[props.state]} · read at {timeIn(props.at, props.timeZone)} ({zoneTimeName(props.timeZone)})
    </p>
  );
}
