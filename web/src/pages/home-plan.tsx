import { useMemo, useState } from 'preact/hooks';
import type { HomePlan } from '../../../src/client/index.ts';
import { HomeChart, HomeChartKey } from '../components/home-chart.tsx';
import { ScrollRegion } from '../components/scroll-region.tsx';
import { price, timeIn, zoneTimeName } from '../format.ts';
import { applianceFill, applianceIds, planPowerData, planPriceData } from '../home-data.ts';
import { kw, kwh } from './home-format.ts';

/** The plan over its horizon: flows and SoC, then prices, both with the appliance runs; its numbers. */
export function HomePlanSection({ plan }: { plan: HomePlan }) {
  const power = useMemo(() => planPowerData(plan), [plan]);
  const prices = useMemo(() => planPriceData(plan), [plan]);
  const tz = plan.timeZone;
  const ids = applianceIds(plan);
  const appliances = ids.map((id) => ({ id, fill: applianceFill(plan, id) }));
  const last = plan.series[plan.series.length - 1];
  const span =
    `from ${timeIn(plan.start, tz, true)}` +
    (last
      ? ` to ${timeIn(new Date(Date.parse(last.start) + plan.stepMin * 60_000).toISOString(), tz, true)}`
      : '') +
    ` (${zoneTimeName(tz)})`;
  const runs = ids.length > 0 ? `; the runs of ${ids.join(', ')} shaded` : '';
  return (
    <section aria-labelledby="home-plan-title">
      <h2 id="home-plan-title">The plan</h2>
      <p>
        {plan.slots} slots of {plan.stepMin} minutes {span}.
      </p>
      <figure class="chart-figure">
        <figcaption>
          <HomeChartKey data={power} appliances={appliances} />
        </figcaption>
        <HomeChart
          data={power}
          timeZone={tz}
          testId="home-power-chart"
          label={`Planned grid import and export, PV, house load${plan.setpoints.battery ? ' and battery state of charge' : ''} ${span}${runs}. The numbers are in the table below.`}
        />
      </figure>
      <figure class="chart-figure">
        <figcaption>
          <HomeChartKey data={prices} appliances={appliances} />
        </figcaption>
        <HomeChart
          data={prices}
          timeZone={tz}
          testId="home-price-chart"
          label={`Import and export prices per kWh ${span}${runs}. The numbers are in the table below.`}
        />
      </figure>
      <PlanNumbers plan={plan} ids={ids} />
    </section>
  );
}

function PlanNumbers({ plan, ids }: { plan: HomePlan; ids: string[] }) {
  const [open, setOpen] = useState(false);
  const tz = plan.timeZone;
  const battery = plan.setpoints.battery !== undefined;
  const ev = plan.setpoints.ev !== undefined;
  return (
    <div class="numbers">
      <button
        type="button"
        aria-expanded={open}
        aria-controls="home-plan-table"
        onClick={() => setOpen(!open)}
      >
        {open ? 'Hide the numbers' : 'Show the numbers'}
      </button>
      {open && (
        <ScrollRegion label="The plan per slot">
          <table id="home-plan-table" data-testid="home-plan-table">
            <caption>
              The plan per {plan.stepMin}-minute slot ({tz})
            </caption>
            <thead>
              <tr>
                <th scope="col">Start</th>
                <th scope="col">Import</th>
                <th scope="col">Export</th>
                <th scope="col">PV</th>
                <th scope="col">Load</th>
                {battery && <th scope="col">Battery</th>}
                {battery && <th scope="col">SoC at end</th>}
                {ev && <th scope="col">EV</th>}
                <th scope="col">Import price</th>
                <th scope="col">Export price</th>
                <th scope="col">Running</th>
              </tr>
            </thead>
            <tbody>
              {plan.series.map((p) => (
                <tr key={p.start}>
                  <th scope="row">{timeIn(p.start, tz, true)}</th>
                  <td>{kw(p.importKw)}</td>
                  <td>{kw(p.exportKw)}</td>
                  <td>{kw(p.pvKw)}</td>
                  <td>{kw(p.loadKw)}</td>
                  {battery && (
                    <td>
                      {p.chargeKw > 1e-6
                        ? `charge ${kw(p.chargeKw)}`
                        : p.dischargeKw > 1e-6
                          ? `discharge ${kw(p.dischargeKw)}`
                          : 'idle'}
                    </td>
                  )}
                  {battery && <td>{kwh(p.socKwh)}</td>}
                  {ev && <td>{kw(p.evKw)}</td>}
                  <td>{price(p.importPrice)}</td>
                  <td>{price(p.exportPrice)}</td>
                  <td>{ids.filter((id) => p.appliances[id] === 1).join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      )}
    </div>
  );
}
