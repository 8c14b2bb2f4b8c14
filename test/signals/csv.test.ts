import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError, ProviderError } from '../../src/core/errors.ts';
import { findZone } from '../../src/core/zones.ts';
import {
  csvFile,
  detectCsvShape,
  parseCsvTime,
  readCsvSeries,
  readIssuedForecasts,
  sliceSeries,
} from '../../src/signals/csv.ts';

const FIXTURES = join(import.meta.dirname, '../fixtures/offline');
const fixture = (name: string) => join(FIXTURES, name);
const t = (iso: string) => Date.parse(iso);
const H = 3_600_000;

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('parseCsvTime', () => {
  it('reads ISO-8601 UTC, offsets and the portal form (UTC without designator)', () => {
    expect(parseCsvTime('2021-01-01T00:00:00Z')).toBe(Date.UTC(2021, 0, 1));
    expect(parseCsvTime('2021-01-01 05:00:00')).toBe(Date.UTC(2021, 0, 1, 5));
    expect(parseCsvTime('2021-01-01T01:00:00+01:00')).toBe(Date.UTC(2021, 0, 1, 0));
    expect(parseCsvTime('2021-06-01T12:30:00.000Z')).toBe(Date.UTC(2021, 5, 1, 12, 30));
    expect(parseCsvTime('2021-06-01T12:30')).toBe(Date.UTC(2021, 5, 1, 12, 30));
    expect(parseCsvTime('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29));
  });

  it('rejects what is not a real ISO time instead of guessing', () => {
    for (const bad of [
      '2021-02-30T00:00:00Z',
      '2021-02-29',
      '2021-13-01T00:00:00Z',
      '1',
      '12',
      'yesterday',
      '',
    ])
      expect(parseCsvTime(bad), bad).toBeNaN();
  });
});

describe('detectCsvShape', () => {
  it('tells the shapes apart from the header', () => {
    expect(detectCsvShape(['timestamp', 'carbon_intensity'])).toBe('carbon');
    expect(detectCsvShape(['timestamp', 'carbon_intensity', 'renewable_percent'])).toBe('carbon');
    expect(detectCsvShape(['Timestamp', 'Price'])).toBe('price');
    expect(detectCsvShape(['issued_at', 'timestamp', 'carbon_intensity'])).toBe('forecast');
    expect(
      detectCsvShape([
        'Datetime (UTC)',
        'Zone id',
        'Carbon intensity gCO₂eq/kWh (Life cycle)',
        'Data source',
      ]),
    ).toBe('portal');
    expect(() => detectCsvShape(['time', 'value'])).toThrow(/unrecognised header "time,value"/);
  });
});

describe('readCsvSeries', () => {
  it('reads a carbon file: values, times, step, unit, metric, kind', () => {
    const text = readFileSync(fixture('DE-carbon-sample.csv'), 'utf8');
    const s = readCsvSeries(text, { zone: 'de', source: 'csv:DE-carbon-sample.csv' });
    expect(s.zone).toBe('DE');
    expect(s.metric).toBe('carbon_average');
    expect(s.unit).toBe('gCO2eq/kWh');
    expect(s.kind).toBe('actual');
    expect(s.resolutionMin).toBe(60);
    expect(s.points).toEqual([
      { start: t('2023-01-01T00:00:00Z'), value: 150 },
      { start: t('2023-01-01T01:00:00Z'), value: 160 },
      { start: t('2023-01-01T02:00:00Z'), value: 170 },
      { start: t('2023-01-01T03:00:00Z'), value: 180 },
    ]);
  });

  it('reads a file named moer as marginal intensity with its 5-minute step', () => {
    const text = readFileSync(fixture('CAISO_NORTH-moer-sample.csv'), 'utf8');
    const s = readCsvSeries(text, { zone: 'US-CAL-CISO', source: 'x', file: 'CAISO_NORTH-moer-sample.csv' });
    expect(s.metric).toBe('carbon_marginal');
    expect(s.resolutionMin).toBe(5);
    expect(s.points.map((p) => p.value)).toEqual([425, 432.5, 410]);
  });

  it('reads prices in EUR/kWh by default, another currency when told, negative prices included', () => {
    const text = readFileSync(fixture('FI-price-sample.csv'), 'utf8');
    const eur = readCsvSeries(text, { zone: 'FI', source: 'x' });
    expect(eur.metric).toBe('price');
    expect(eur.unit).toBe('EUR/kWh');
    expect(eur.points.map((p) => p.value)).toEqual([0.0125, -0.002, 0.05]);
    expect(readCsvSeries(text, { zone: 'GB', source: 'x', currency: 'GBP' }).unit).toBe('GBP/kWh');
  });

  it('reads an Electricity Maps portal export: zone from the file, life-cycle column, UTC times', () => {
    const text = readFileSync(fixture('electricitymaps-portal-ES-sample.csv'), 'utf8');
    const s = readCsvSeries(text, { source: 'csv:portal' });
    expect(s.zone).toBe('ES');
    expect(s.metric).toBe('carbon_average');
    expect(s.points[0]).toEqual({ start: Date.UTC(2021, 0, 1, 0), value: 140.25 });
    expect(s.points[1]).toEqual({ start: Date.UTC(2021, 0, 1, 1), value: 137.5 });
    // the estimated row without values is a gap, not an error
    expect(s.points[2].value).toBeNaN();
    expect(s.points[3].value).toBe(133);
    const direct = readCsvSeries(text, { source: 'x', portalColumn: 'direct' });
    expect(direct.points.map((p) => p.value).filter(Number.isFinite)).toEqual([100.5, 98, 95.25]);
  });

  it('checks a portal export against the zone asked for', () => {
    const text = readFileSync(fixture('electricitymaps-portal-ES-sample.csv'), 'utf8');
    expect(readCsvSeries(text, { source: 'x', zone: 'es' }).zone).toBe('ES');
    expect(() => readCsvSeries(text, { source: 'x', file: 'es.csv', zone: 'FR' })).toThrow(
      'es.csv: the file holds zone ES, not FR',
    );
  });

  it('accepts the newer portal header, a BOM, CRLF line ends and blank lines', () => {
    const text =
      '\uFEFFDatetime (UTC),Country,Zone name,Zone id,Carbon intensity gCO₂eq/kWh (direct),Carbon intensity gCO₂eq/kWh (Life cycle)\r\n' +
      '2024-03-01 00:00:00,Germany,Germany,DE,300,350\r\n\r\n' +
      '2024-03-01 01:00:00,Germany,Germany,DE,310,360\r\n';
    const s = readCsvSeries(text, { source: 'x' });
    expect(s.zone).toBe('DE');
    expect(s.points.map((p) => p.value)).toEqual([350, 360]);
  });

  it('reads quoted fields', () => {
    const s = readCsvSeries('"timestamp","price"\n"2023-01-01T00:00:00Z","0.5"\n', {
      zone: 'FI',
      source: 'x',
    });
    expect(s.points).toEqual([{ start: t('2023-01-01T00:00:00Z'), value: 0.5 }]);
  });

  it('treats an empty value as a gap', () => {
    const s = readCsvSeries('timestamp,carbon_intensity\n2023-01-01T00:00:00Z,\n2023-01-01T01:00:00Z,5\n', {
      zone: 'DE',
      source: 'x',
    });
    expect(s.points[0].value).toBeNaN();
    expect(s.points[1].value).toBe(5);
  });

  describe('errors name the file and the line', () => {
    const read = (body: string) => () =>
      readCsvSeries(`timestamp,carbon_intensity\n${body}`, { zone: 'DE', source: 'x', file: 'my.csv' });

    it('bad timestamp', () => {
      const e = errorOf(read('2023-01-01T00:00:00Z,1\n2023-01-01T25:00:00Z,2\n'));
      expect(e).toBeInstanceOf(InputError);
      expect(e.message).toBe('my.csv, line 3: timestamp "2023-01-01T25:00:00Z" is not an ISO-8601 time');
    });
    it('non-numeric value', () => {
      expect(errorOf(read('2023-01-01T00:00:00Z,abc\n')).message).toBe(
        'my.csv, line 2: carbon intensity "abc" is not a number',
      );
    });
    it('negative carbon intensity', () => {
      expect(errorOf(read('2023-01-01T00:00:00Z,-3\n')).message).toBe(
        'my.csv, line 2: carbon intensity -3 is negative',
      );
    });
    it('missing column', () => {
      expect(errorOf(read('2023-01-01T00:00:00Z,1\n2023-01-01T01:00:00Z\n')).message).toBe(
        'my.csv, line 3: expected at least 2 columns, found 1',
      );
    });
    it('duplicate timestamp', () => {
      expect(errorOf(read('2023-01-01T00:00:00Z,1\n2023-01-01T00:00:00Z,2\n')).message).toMatch(
        /^my\.csv, line 3: timestamp 2023-01-01T00:00:00Z is a duplicate of the row above/,
      );
    });
    it('out of order', () => {
      expect(errorOf(read('2023-01-01T01:00:00Z,1\n2023-01-01T00:00:00Z,2\n')).message).toMatch(
        /^my\.csv, line 3: timestamp 2023-01-01T00:00:00Z is before the row above/,
      );
    });
    it('unknown header, empty file, a forecast file read as a series', () => {
      expect(
        errorOf(() => readCsvSeries('a,b\n1,2\n', { zone: 'DE', source: 'x', file: 'f.csv' })).message,
      ).toMatch(/^f\.csv, line 1: unrecognised header "a,b"/);
      expect(errorOf(() => readCsvSeries('\n\n', { zone: 'DE', source: 'x', file: 'f.csv' })).message).toBe(
        'f.csv: the file is empty',
      );
      expect(() =>
        readCsvSeries('issued_at,timestamp,carbon_intensity\n', { zone: 'DE', source: 'x' }),
      ).toThrow(/readIssuedForecasts/);
    });
    it('a plain file needs a zone', () => {
      expect(() => readCsvSeries('timestamp,price\n2023-01-01T00:00:00Z,1\n', { source: 'p.csv' })).toThrow(
        'p.csv: say which zone the file is for (zone option)',
      );
    });
  });

  it('round-trips any increasing series written in the carbon shape', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 240 }), fc.double({ min: 0, max: 2000, noNaN: true })), {
          minLength: 1,
          maxLength: 50,
        }),
        (steps) => {
          let ms = Date.UTC(2023, 0, 1);
          const rows = steps.map(([gapMin, value]) => {
            ms += gapMin * 60_000;
            return { start: ms, value };
          });
          const text = `timestamp,carbon_intensity\n${rows.map((r) => `${new Date(r.start).toISOString()},${r.value}`).join('\n')}\n`;
          expect(readCsvSeries(text, { zone: 'DE', source: 'x' }).points).toEqual(rows);
        },
      ),
    );
  });
});

describe('readIssuedForecasts', () => {
  it('groups rows by issue time, sorted, as forecasts', () => {
    const text = readFileSync(fixture('CAISO_NORTH-moer-forecasts-sample.csv'), 'utf8');
    const fs = readIssuedForecasts(text, {
      zone: 'US-CAL-CISO',
      source: 'x',
      file: 'CAISO_NORTH-moer-forecasts-sample.csv',
    });
    expect(fs).toHaveLength(2);
    expect(fs.map((f) => f.issuedAt)).toEqual([t('2023-06-08T00:00:00Z'), t('2023-06-08T00:05:00Z')]);
    expect(fs[0].kind).toBe('forecast');
    expect(fs[0].metric).toBe('carbon_marginal');
    expect(fs[0].resolutionMin).toBe(5);
    expect(fs[1].points).toEqual([
      { start: t('2023-06-08T00:10:00Z'), value: 405 },
      { start: t('2023-06-08T00:15:00Z'), value: 415 },
      { start: t('2023-06-08T00:20:00Z'), value: 425 },
    ]);
  });

  it('merges rows of one issue that are not adjacent, and rejects disorder within an issue', () => {
    const head = 'issued_at,timestamp,carbon_intensity\n';
    const a = '2023-01-01T00:00:00Z';
    const b = '2023-01-01T01:00:00Z';
    const fs = readIssuedForecasts(`${head}${b},${b},2\n${a},${a},1\n${b},2023-01-01T02:00:00Z,3\n`, {
      zone: 'DE',
      source: 'x',
    });
    expect(fs.map((f) => f.points.map((p) => p.value))).toEqual([[1], [2, 3]]);
    const e = errorOf(() =>
      readIssuedForecasts(`${head}${a},${b},1\n${a},${a},2\n`, { zone: 'DE', source: 'x', file: 'f.csv' }),
    );
    expect(e.message).toBe(
      `f.csv, line 3: timestamp ${a} is out of order within the forecast issued at ${a}`,
    );
    expect(() => readIssuedForecasts('timestamp,price\n', { zone: 'DE', source: 'x' })).toThrow(InputError);
  });
});

describe('sliceSeries', () => {
  it('keeps the points whose interval overlaps the range', () => {
    const s = readCsvSeries(readFileSync(fixture('DE-carbon-sample.csv'), 'utf8'), {
      zone: 'DE',
      source: 'x',
    });
    const part = sliceSeries(s, t('2023-01-01T01:30:00Z'), t('2023-01-01T03:00:00Z'));
    expect(part.points.map((p) => p.value)).toEqual([160, 170]);
  });
});

describe('csvFile provider', () => {
  const de = findZone('DE')!;
  const req = (fromIso: string, toIso: string, nowIso = '2024-01-01T00:00:00Z') => ({
    zone: de,
    metric: 'carbon_average' as const,
    fromMs: t(fromIso),
    toMs: t(toIso),
    nowMs: t(nowIso),
  });

  it('answers the part of the file in the range and says when it covers only part of it', async () => {
    const p = csvFile({ path: fixture('DE-carbon-sample.csv'), zone: 'DE' });
    expect(p.name).toBe('csv');
    expect(p.supports(de, 'carbon_average')).toBe(true);
    expect(p.supports(findZone('FR')!, 'carbon_average')).toBe(false);
    const [full] = await p.fetch(req('2023-01-01T01:00:00Z', '2023-01-01T03:00:00Z'));
    expect(full.points.map((x) => x.value)).toEqual([160, 170]);
    expect(full.degraded).toBeUndefined();
    expect(full.source).toBe(`csv:${fixture('DE-carbon-sample.csv')}`);
    const [partial] = await p.fetch(req('2023-01-01T02:00:00Z', '2023-01-01T08:00:00Z'));
    expect(partial.points.map((x) => x.value)).toEqual([170, 180]);
    expect(partial.degraded).toMatch(/covers 2023-01-01T00:00:00Z to 2023-01-01T04:00:00Z only/);
  });

  it('fails as a provider outside the file or for another metric, as input when the file is missing', async () => {
    const p = csvFile({ path: fixture('DE-carbon-sample.csv'), zone: 'DE' });
    await expect(p.fetch(req('2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z'))).rejects.toMatchObject({
      kind: 'not_found',
    });
    await expect(
      p.fetch({ ...req('2023-01-01T00:00:00Z', '2023-01-02T00:00:00Z'), metric: 'price' }),
    ).rejects.toThrow(ProviderError);
    const missing = csvFile({ path: fixture('nope.csv'), zone: 'DE' });
    await expect(missing.fetch(req('2023-01-01T00:00:00Z', '2023-01-02T00:00:00Z'))).rejects.toThrow(
      InputError,
    );
  });

  it('replays a forecast file: the latest forecast issued by now', async () => {
    const cisos = findZone('US-CAL-CISO')!;
    const p = csvFile({ path: fixture('CAISO_NORTH-moer-forecasts-sample.csv'), zone: 'US-CAL-CISO' });
    const ask = (nowIso: string) =>
      p.fetch({
        zone: cisos,
        metric: 'carbon_marginal',
        fromMs: t('2023-06-08T00:00:00Z'),
        toMs: t('2023-06-08T01:00:00Z'),
        nowMs: t(nowIso),
      });
    const [early] = await ask('2023-06-08T00:03:00Z');
    expect(early.issuedAt).toBe(t('2023-06-08T00:00:00Z'));
    expect(early.points.map((x) => x.value)).toEqual([400, 410, 420]);
    const [late] = await ask('2023-06-08T00:30:00Z');
    expect(late.issuedAt).toBe(t('2023-06-08T00:05:00Z'));
    await expect(ask('2023-06-07T23:00:00Z')).rejects.toMatchObject({ kind: 'not_found' });
  });

  it('takes the zone from a portal export', async () => {
    const p = csvFile({ path: fixture('electricitymaps-portal-ES-sample.csv') });
    const es = findZone('ES')!;
    const [s] = await p.fetch({
      zone: es,
      metric: 'carbon_average',
      fromMs: Date.UTC(2021, 0, 1),
      toMs: Date.UTC(2021, 0, 1) + 2 * H,
      nowMs: Date.UTC(2022, 0, 1),
    });
    expect(s.zone).toBe('ES');
    expect(s.points.map((x) => x.value)).toEqual([140.25, 137.5]);
  });
});
