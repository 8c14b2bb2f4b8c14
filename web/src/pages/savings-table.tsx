import type { Report } from '../../../src/client/index.ts';
import { ScrollRegion } from '../components/scroll-region.tsx';
import { kg, money, pct, plain } from './savings-format.ts';

/** A report's rows as a table (one row per day, tag or zone), with its totals at the foot. */
export function ReportTable(props: {
  title?: string;
  first: string;
  report: Report;
  testId: string;
  id?: string;
}) {
  const { report } = props;
  const cells = (r: Omit<Report['rows'][number], 'key'>) => (
    <>
      <td>{r.loads}</td>
      <td>{plain(r.energyKwh)}</td>
      <td>{kg(r.emissionsG)}</td>
      <td>{kg(r.baselineEmissionsG)}</td>
      <td>{kg(r.savingsG)}</td>
      <td>{pct(r.savingsPct)}</td>
      <td>{money(r.cost, r.currency)}</td>
      <td>{pct(r.costSavingsPct)}</td>
    </>
  );
  const table = (
    <ScrollRegion label={props.title ?? `Per ${props.first.toLowerCase()}`}>
      <table data-testid={props.testId} id={props.id}>
        {props.title && <caption class="visually-hidden">{props.title}</caption>}
        <thead>
          <tr>
            <th scope="col" class="left">
              {props.first}
            </th>
            <th scope="col">Loads</th>
            <th scope="col">Energy, kWh</th>
            <th scope="col">Emitted, kg</th>
            <th scope="col">Run now, kg</th>
            <th scope="col">Saved, kg</th>
            <th scope="col">Saved</th>
            <th scope="col">Cost</th>
            <th scope="col">Cost saved</th>
          </tr>
        </thead>
        <tbody>
          {report.rows.map((r) => (
            <tr key={r.key}>
              <th scope="row">{r.key}</th>
              {cells(r)}
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">Total</th>
            {cells(report.totals)}
          </tr>
        </tfoot>
      </table>
    </ScrollRegion>
  );
  if (!props.title) return table;
  const headingId = `${props.testId}-title`;
  return (
    <section class="page-part" aria-labelledby={headingId}>
      <h2 id={headingId}>{props.title}</h2>
      {report.rows.length === 0 ? <p>No load ran in this period.</p> : table}
    </section>
  );
}
