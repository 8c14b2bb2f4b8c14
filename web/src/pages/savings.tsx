import { useMemo, useState } from 'preact/hooks';
import { EQUIVALENCE_FACTORS, equivalents } from '../../../src/accounting/equivalents.ts';
import type { Report } from '../../../src/client/index.ts';
import { TREND_COLORS, TrendChart, type TrendData } from '../components/trend-chart.tsx';
import { TroubleNotice } from '../components/trouble-notice.tsx';
import { localTime } from '../local-time.ts';
import { navigate, useLocation } from '../router.ts';
import { useApiRead } from '../use-read.ts';
import {
  exportName,
  PERIODS,
  type Period,
  type PeriodKey,
  periodDays,
  periodOf,
  periodSearch,
  periodText,
  readReports,
  reportCsv,
  reportJson,
  type SavingsReports,
} from './savings-data.ts';
import { kg, mass, money, pct, plain } from './savings-format.ts';
import { ReportTable } from './savings-table.tsx';
import './pages.css';

/**
 * Savings and the ESG report: for a chosen period, what the loads that ran used, emitted and cost, against
 * running each at once; per tag and zone; in everyday equivalents; as a trend. Exports CSV and JSON made
 * here from GET /v1/reports, and a printable report (/savings/report) to attach as a PDF.
 */

export function SavingsPage() {
  const { path, query } = useLocation();
  const printable = path.replace(/\/+$/, '') === '/savings/report';
  const period = useMemo(() => periodOf(query, Date.now()), [query.toString()]);
  const {
    data: lastRead,
    trouble,
    read,
  } = useApiRead(
    (client, signal) => readReports(client, period, signal),
    [period.from, period.to, period.step],
  );
  // the reports of the period asked for, not of the one before (another preset may name the same days)
  const data = useMemo(
    () =>
      lastRead &&
      lastRead.period.from === period.from &&
      lastRead.period.to === period.to &&
      lastRead.period.step === period.step
        ? { ...lastRead, period }
        : null,
    [lastRead, period],
  );
  const title = printable ? 'Savings and emissions report' : 'Savings';
  if (!data)
    return (
      <section aria-labelledby="page-title" aria-busy={!trouble}>
        <h1 id="page-title">{title}</h1>
        {!printable && <PeriodPicker period={period} />}
        {trouble ? (
          <TroubleNotice trouble={trouble} onRetry={read} />
        ) : (
          <p class="skeleton">Reading the report…</p>
        )}
      </section>
    );
  if (printable) return <PrintableReport reports={data} />;
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{title}</h1>
      <PeriodPicker period={period} />
      {trouble && <TroubleNotice trouble={trouble} onRetry={read} />}
      <p class="meta" data-testid="period">
        Loads that ran from {periodText(period)}, against running each at once.
      </p>
      <Totals totals={data.totals} />
      <Equivalents savedG={data.totals.savingsG} />
      <Exports reports={data} />
      <Trend reports={data} />
      <ReportTable title="Per tag" first="Tag" report={data.byTag} testId="by-tag" />
      <ReportTable title="Per zone" first="Zone" report={data.byZone} testId="by-zone" />
      <Notes totals={data.totals} />
    </section>
  );
}

function PeriodPicker({ period }: { period: Period }) {
  const [key, setKey] = useState<PeriodKey>(period.key);
  const [from, setFrom] = useState(period.fromDay ?? '');
  const [to, setTo] = useState(period.toDay ?? '');
  return (
    <form
      class="inline-form no-print"
      aria-label="Choose the period"
      onSubmit={(event) => {
        event.preventDefault();
        navigate(`/savings${periodSearch({ key, fromDay: from || undefined, toDay: to || undefined })}`);
      }}
    >
      <div>
        <label for="period">Period</label>
        <select
          id="period"
          value={key}
          onChange={(event) => setKey((event.target as HTMLSelectElement).value as PeriodKey)}
        >
          {PERIODS.map((p) => (
            <option key={p.key} value={p.key}>
              {p.label}
            </option>
          ))}
        </select>
      </div>
      {key === 'custom' && (
        <>
          <div>
            <label for="period-from">From</label>
            <input
              id="period-from"
              type="date"
              value={from}
              onInput={(e) => setFrom((e.target as HTMLInputElement).value)}
            />
          </div>
          <div>
            <label for="period-to">To (inclusive)</label>
            <input
              id="period-to"
              type="date"
              value={to}
              onInput={(e) => setTo((e.target as HTMLInputElement).value)}
            />
          </div>
        </>
      )}
      <button type="submit">Show</button>
    </form>
  );
}

function Totals({ totals: t }: { totals: Report['totals'] }) {
  return (
    <div class="figures" data-testid="totals">
      <div class="figure">
        <h2>Energy</h2>
        <p class="big" data-testid="total-energy">
          {plain(t.energyKwh)} <span class="unit">kWh</span>
        </p>
        <p>
          {t.loads} load{t.loads === 1 ? '' : 's'} ran
        </p>
      </div>
      <div class="figure">
        <h2>Emissions</h2>
        <p class="big" data-testid="total-emissions">
          {kg(t.emissionsG)} <span class="unit">kg CO2eq</span>
        </p>
        <p data-testid="total-baseline">Run now: {kg(t.baselineEmissionsG)} kg</p>
      </div>
      <div class="figure">
        <h2>Saved</h2>
        <p class="big" data-testid="total-savings">
          {kg(t.savingsG)} <span class="unit">kg CO2eq</span>
        </p>
        <p data-testid="total-savings-pct">{pct(t.savingsPct)} of running at once</p>
      </div>
      <div class="figure">
        <h2>Cost</h2>
        <p class="big" data-testid="total-cost">
          {money(t.cost, t.currency)}
        </p>
        <p data-testid="total-cost-saved">
          Run now: {money(t.baselineCost, t.currency)} · saved {pct(t.costSavingsPct)}
        </p>
      </div>
    </div>
  );
}

function Equivalents({ savedG }: { savedG: number | null }) {
  if (savedG === null || savedG === 0) return null;
  const eq = equivalents(Math.abs(savedG));
  const verb = savedG > 0 ? 'The savings equal' : 'The extra emissions equal';
  return (
    <section class="page-part" aria-labelledby="equivalents-title">
      <h2 id="equivalents-title">In everyday terms</h2>
      <p>{verb} about:</p>
      <ul data-testid="equivalents">
        {EQUIVALENCE_FACTORS.map((f) => (
          <li key={f.key} title={f.source}>
            {plain(eq[f.key])} {f.unit}
          </li>
        ))}
      </ul>
      <p class="hint">
        Rough public averages, to illustrate; not part of the accounting (docs/accounting.md).
      </p>
    </section>
  );
}

function download(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function Exports({ reports }: { reports: SavingsReports }) {
  const { period } = reports;
  return (
    <div class="toolbar no-print">
      <button
        type="button"
        onClick={() => download(exportName(period, 'csv'), 'text/csv;charset=utf-8', reportCsv(reports))}
      >
        Export CSV
      </button>
      <button
        type="button"
        onClick={() =>
          download(
            exportName(period, 'json'),
            'application/json',
            reportJson(reports, new Date().toISOString()),
          )
        }
      >
        Export JSON
      </button>
      <a class="button-link" href={`/savings/report${periodSearch(period)}`}>
        Printable report
      </a>
    </div>
  );
}

/** The trend's bars: every day of the period (nothing ran: 0), or the report's rows for weeks and months. */
function trendData(report: Report, period: Period): TrendData {
  const keys = periodDays(period) ?? report.rows.map((r) => r.key);
  const byKey = new Map(report.rows.map((r) => [r.key, r]));
  const kgOf = (key: string, g: (r: Report['rows'][number]) => number | null) => {
    const row = byKey.get(key);
    if (!row) return 0;
    const grams = g(row);
    return grams === null ? null : grams / 1000;
  };
  return {
    keys,
    emittedKg: keys.map((k) => kgOf(k, (r) => r.emissionsG)),
    baselineKg: keys.map((k) => kgOf(k, (r) => r.baselineEmissionsG)),
  };
}

function Trend({ reports, print = false }: { reports: SavingsReports; print?: boolean }) {
  const data = useMemo(() => trendData(reports.trend, reports.period), [reports]);
  const [open, setOpen] = useState(print);
  const step = reports.period.step;
  const first = step[0]?.toUpperCase() + step.slice(1);
  return (
    <section class="page-part" aria-labelledby="trend-title">
      <h2 id="trend-title">Per {step}</h2>
      {reports.trend.rows.length === 0 ? (
        <p>No load ran in this period.</p>
      ) : (
        <>
          {!print && (
            <figure class="chart-figure">
              <figcaption>
                <span class="key">
                  <span class="swatch window" style={{ background: TREND_COLORS.emitted }} /> emitted
                </span>
                <span class="key">
                  <span class="swatch" style={{ borderColor: TREND_COLORS.baseline }} /> run now
                </span>
              </figcaption>
              <TrendChart
                data={data}
                label={`Emissions per ${step} against running at once, kg CO2eq, ${data.keys[0]} to ${data.keys.at(-1)}. The numbers are in the table.`}
              />
            </figure>
          )}
          {!print && (
            <button
              type="button"
              aria-expanded={open}
              aria-controls="trend-table"
              onClick={() => setOpen(!open)}
            >
              {open ? 'Hide the numbers' : 'Show the numbers'}
            </button>
          )}
          {open && <ReportTable first={first} report={reports.trend} testId="trend-table" id="trend-table" />}
        </>
      )}
    </section>
  );
}

function Notes({ totals: t }: { totals: Report['totals'] }) {
  const failed = t.failedEnergyKwh ?? 0;
  return (
    <section class="page-part hint" aria-label="How this is counted">
      <p>
        Emissions are energy × the zone's carbon intensity in the slots each load ran (measured where
        published); "run now" is the same load started at once. Savings = run now − emitted.
      </p>
      {t.forecastBasis > 0 && (
        <p data-testid="forecast-basis">
          {t.forecastBasis} of {t.loads} loads are accounted on the forecast they ran on; measured values
          replace it once published.
        </p>
      )}
      {failed > 0 && (
        <p>
          Attempts that failed before one succeeded used {plain(failed)} kWh
          {t.failedEmissionsG === null ? '' : ` and emitted ${mass(t.failedEmissionsG)}`}, counted above.
        </p>
      )}
    </section>
  );
}

function PrintableReport({ reports }: { reports: SavingsReports }) {
  const generated = useMemo(() => new Date().toISOString(), []);
  const { period } = reports;
  return (
    <article class="report-doc" aria-labelledby="page-title">
      <div class="toolbar no-print">
        <button type="button" onClick={() => window.print()}>
          Print or save as PDF
        </button>
        <a class="button-link" href={`/savings${periodSearch(period)}`}>
          Back to Savings
        </a>
      </div>
      <h1 id="page-title">Savings and emissions report</h1>
      <p class="meta" data-testid="report-period">
        Period: {periodText(period)}
      </p>
      <p class="meta" data-testid="report-generated">
        Generated {localTime(generated)} by gridshift ({generated})
      </p>
      <Totals totals={reports.totals} />
      <Equivalents savedG={reports.totals.savingsG} />
      <Trend reports={reports} print />
      <ReportTable title="Per tag" first="Tag" report={reports.byTag} testId="by-tag" />
      <ReportTable title="Per zone" first="Zone" report={reports.byZone} testId="by-zone" />
      <Notes totals={reports.totals} />
    </article>
  );
}
