import { useState } from 'preact/hooks';
import type { Dashboard } from '../../../src/client/index.ts';
import { grams, price, timeIn } from '../format.ts';

/** The chart's numbers as a table, behind a toggle: its text alternative. */
export function NumbersTable(props: { dashboard: Dashboard }) {
  const [open, setOpen] = useState(false);
  const d = props.dashboard;
  const tz = d.zone.timeZone;
  const hasBand = d.series.some((p) => p.carbonBand !== undefined);
  const carbonFrom = d.carbon?.forecastFrom ? Date.parse(d.carbon.forecastFrom) : Number.POSITIVE_INFINITY;
  const inWindow = (start: string) => {
    const t = Date.parse(start);
    return d.loads
      .filter((l) => l.runs.some((r) => Date.parse(r.start) <= t && t < Date.parse(r.end)))
      .map((l) => l.name);
  };
  return (
    <div class="numbers">
      <button type="button" aria-expanded={open} aria-controls="numbers-table" onClick={() => setOpen(!open)}>
        {open ? 'Hide the numbers' : 'Show the numbers'}
      </button>
      {open && (
        <div class="table-scroll">
          <table id="numbers-table" data-testid="numbers-table">
            <caption>
              Carbon intensity and price per {d.stepMin}-minute slot in {d.zone.name} ({tz})
            </caption>
            <thead>
              <tr>
                <th scope="col">Start</th>
                <th scope="col">Carbon, g/kWh</th>
                {hasBand && <th scope="col">Carbon 10-90 %</th>}
                <th scope="col">Price, {d.price?.unit ?? '–'}</th>
                <th scope="col">Kind</th>
                <th scope="col">Waiting loads</th>
              </tr>
            </thead>
            <tbody>
              {d.series.map((p) => (
                <tr key={p.start}>
                  <th scope="row">{timeIn(p.start, tz, true)}</th>
                  <td>{grams(p.carbon)}</td>
                  {hasBand && (
                    <td>{p.carbonBand ? `${grams(p.carbonBand[0])} – ${grams(p.carbonBand[1])}` : ''}</td>
                  )}
                  <td>{price(p.price)}</td>
                  <td>{Date.parse(p.start) >= carbonFrom ? 'forecast' : 'measured'}</td>
                  <td>{inWindow(p.start).join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
