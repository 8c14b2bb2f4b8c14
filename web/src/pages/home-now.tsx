import type { HomeHistory, HomePlan } from '../../../src/client/index.ts';
import { timeIn, zoneTimeName } from '../format.ts';
import { amps, emissions, kw, kwh, money, saving } from './home-format.ts';

/** What the home should do in the slot under way, device by device, as published to it. */
export function HomeNow({ plan }: { plan: HomePlan }) {
  const sp = plan.setpoints;
  const tz = plan.timeZone;
  const appliances = Object.entries(sp.appliances);
  return (
    <section aria-labelledby="home-now-title">
      <h2 id="home-now-title">
        Now: {timeIn(sp.slotStart, tz)}–{timeIn(sp.slotEnd, tz)} ({zoneTimeName(tz)})
      </h2>
      <div class="figures">
        {sp.battery && (
          <div class="figure">
            <h3>Battery</h3>
            <p class="big" data-testid="battery-mode">
              {sp.battery.mode}
            </p>
            <p>
              <span data-testid="battery-power">{kw(sp.battery.powerKw)}</span>, state of charge{' '}
              <span data-testid="battery-soc">{kwh(sp.battery.socKwh)}</span> by the slot's end
            </p>
          </div>
        )}
        {sp.ev && (
          <div class="figure">
            <h3>EV</h3>
            <p class="big" data-testid="ev-charging">
              {sp.ev.charging ? 'charging' : 'not charging'}
            </p>
            <p>
              <span data-testid="ev-power">{kw(sp.ev.powerKw)}</span>, <span>{amps(sp.ev.currentA)}</span>
            </p>
          </div>
        )}
        <div class="figure">
          <h3>Grid</h3>
          <p class="big" data-testid="grid-flow">
            {sp.grid.exportKw > 0 ? `export ${kw(sp.grid.exportKw)}` : `import ${kw(sp.grid.importKw)}`}
          </p>
          <p>
            import {kw(sp.grid.importKw)}, export {kw(sp.grid.exportKw)}
            {sp.curtailKw > 0 ? `, PV curtailed ${kw(sp.curtailKw)}` : ''}
          </p>
        </div>
        {appliances.length > 0 && (
          <div class="figure">
            <h3>Appliances</h3>
            <ul class="appliances">
              {appliances.map(([id, state]) => (
                <li key={id}>
                  {id}:{' '}
                  <strong class={`switch ${state}`} data-testid={`appliance-${id}`}>
                    {state}
                  </strong>
                </li>
              ))}
            </ul>
          </div>
        )}
      </div>
    </section>
  );
}

/** Today since local midnight as planned, against the baseline rule; and the whole plan against it. */
export function TodaySavings({ plan, history }: { plan: HomePlan; history: HomeHistory }) {
  const t = history.today;
  const tz = plan.timeZone;
  return (
    <section aria-labelledby="home-savings-title">
      <h2 id="home-savings-title">Savings</h2>
      <div class="figures">
        <div class="figure">
          <h3>Today's cost</h3>
          <p class="big" data-testid="today-saved-cost">
            {saving(t.savedCost, money)}
          </p>
          <p>
            <span data-testid="today-cost">{money(t.cost)}</span> against{' '}
            <span data-testid="today-baseline-cost">{money(t.baselineCost)}</span> by the baseline rule
          </p>
        </div>
        <div class="figure">
          <h3>Today's emissions</h3>
          <p class="big" data-testid="today-saved-emissions">
            {saving(t.savedEmissionsG, emissions)}
          </p>
          <p>
            {emissions(t.emissionsG)} CO2eq against {emissions(t.baselineEmissionsG)} by the baseline rule
          </p>
        </div>
        <div class="figure">
          <h3>This plan</h3>
          <p class="big" data-testid="plan-saved-cost">
            {saving(
              plan.savings.cost,
              money,
              // a share of a baseline that costs nothing, or earns, says nothing
              (plan.baseline.cost ?? 0) > 0 ? plan.savings.costPct : undefined,
            )}
          </p>
          <p>
            over the next {Math.round((plan.slots * plan.stepMin) / 60)} h: {money(plan.totals.cost)} against{' '}
            {money(plan.baseline.cost)}; emissions {saving(plan.savings.emissionsG, emissions)}
          </p>
        </div>
      </div>
      <p class="hint">
        Today is {t.slots} slot{t.slots === 1 ? '' : 's'} since midnight ({timeIn(t.from, tz, true)},{' '}
        {zoneTimeName(tz)}), each as it was planned, against what the baseline rule (charge only from surplus
        PV, run appliances and the EV as soon as they may) would have done from the same state. Costs are in
        the tariff's currency.
      </p>
      {plan.shortfalls && (plan.shortfalls.evKwh > 0 || plan.shortfalls.finalSocKwh > 0) && (
        <p class="degraded" role="note" data-testid="shortfalls">
          The plan falls short:{' '}
          {plan.shortfalls.evKwh > 0 ? `the EV gets ${kwh(plan.shortfalls.evKwh)} less` : ''}
          {plan.shortfalls.evKwh > 0 && plan.shortfalls.finalSocKwh > 0 ? '; ' : ''}
          {plan.shortfalls.finalSocKwh > 0
            ? `the battery ends ${kwh(plan.shortfalls.finalSocKwh)} below its target`
            : ''}
          .
        </p>
      )}
    </section>
  );
}
