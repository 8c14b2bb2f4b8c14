import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ProviderError } from '../../src/core/errors.ts';
import { toIso } from '../../src/core/time.ts';
import type { Zone } from '../../src/core/zones.ts';
import { ENTSOE_BIDDING_ZONES, entsoe, entsoeEic, parseDayAheadPrices } from '../../src/signals/entsoe.ts';
import { parseUrl, sendText, startServer, type TestServer } from '../helpers/http-server.ts';

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/providers/${name}`, import.meta.url), 'utf8');
const iso = (text: string) => Date.parse(text);

const DE: Zone = { code: 'DE', name: 'Germany', timeZone: 'Europe/Berlin', country: 'DE' };
const NL: Zone = { code: 'NL', name: 'Netherlands', timeZone: 'Europe/Amsterdam', country: 'NL' };
const TOKEN = 'secret-token-123';

let server: TestServer;
let body = '';
beforeEach(async () => {
  body = '';
  server = await startServer((_req, res) => sendText(res, 200, body, 'application/xml'));
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await server.close();
});

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

const provider = () => entsoe({ baseUrl: `${server.url}/api`, securityToken: TOKEN });

describe('entsoe', () => {
  it('asks for A44 with the bidding zone EIC, UTC period and token', async () => {
    body = fixture('entsoe-a44-dst-a03.xml');
    await provider().fetch({
      zone: DE,
      metric: 'price',
      fromMs: iso('2024-10-26T22:00:00Z'),
      toMs: iso('2024-10-28T23:00:00Z'),
      nowMs: iso('2024-10-27T12:00:00Z'),
    });
    expect(server.requests).toHaveLength(1);
    const url = parseUrl(server.requests[0]);
    expect(url.pathname).toBe('/api');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      documentType: 'A44',
      in_Domain: '10Y1001A1001A82H',
      out_Domain: '10Y1001A1001A82H',
      periodStart: '202410262200',
      periodEnd: '202410282300',
      securityToken: TOKEN,
    });
  });

  it('fills positions left out under curve A03, concatenates days and handles the 25-hour DST day', async () => {
    body = fixture('entsoe-a44-dst-a03.xml');
    const [series] = await provider().fetch({
      zone: DE,
      metric: 'price',
      fromMs: iso('2024-10-26T22:00:00Z'),
      toMs: iso('2024-10-28T23:00:00Z'),
      nowMs: iso('2024-10-27T12:00:00Z'),
    });
    expect(series).toMatchObject({
      zone: 'DE',
      unit: 'EUR/kWh',
      kind: 'actual',
      source: 'entsoe',
      resolutionMin: 60,
    });
    expect(series.degraded).toBeUndefined();
    // 25 hours on 27 October (clocks go back) + 24 on the 28th
    expect(series.points).toHaveLength(49);
    for (let i = 0; i < 49; i++)
      expect(series.points[i].start).toBe(iso('2024-10-26T22:00:00Z') + i * 3_600_000);
    const v = series.points.map((p) => p.value);
    expect(v[0]).toBeCloseTo(0.0855, 12); // position 1: 85.5 EUR/MWh
    expect(v.slice(1, 4)).toEqual([0.08, 0.08, 0.08]); // positions 3, 4 repeat position 2
    expect(v[4]).toBeCloseTo(-0.00525, 12); // position 5
    expect(v[23]).toBeCloseTo(-0.00525, 12); // position 24 repeats position 5
    expect(toIso(series.points[24].start)).toBe('2024-10-27T22:00:00Z');
    expect(v[24]).toBeCloseTo(0.12075, 12); // position 25, the extra hour
    expect(v[25]).toBeCloseTo(0.06, 12); // next day, position 1
    expect(v[36]).toBeCloseTo(0.06, 12); // next day, position 12 repeats position 1
    expect(v[37]).toBeCloseTo(0.0952, 12); // next day, position 13
    expect(v[48]).toBeCloseTo(0.0952, 12);
  });

  it('joins an hourly day and a quarter-hourly day in one answer', async () => {
    body = fixture('entsoe-a44-mixed-resolution.xml');
    const [series] = await provider().fetch({
      zone: NL,
      metric: 'price',
      fromMs: iso('2025-09-30T20:00:00Z'),
      toMs: iso('2025-09-30T23:00:00Z'),
      nowMs: iso('2025-10-01T12:00:00Z'),
    });
    expect(series.points.map((p) => [toIso(p.start), p.value])).toEqual([
      ['2025-09-30T20:00:00Z', 0.07],
      ['2025-09-30T21:00:00Z', 0.09],
      ['2025-09-30T22:00:00Z', 0.05],
      ['2025-09-30T22:15:00Z', 0.0555],
      ['2025-09-30T22:30:00Z', 0.0555],
      ['2025-09-30T22:45:00Z', 0.0555],
    ]);
    expect(series.resolutionMin).toBe(15);

    const [whole] = await provider().fetch({
      zone: NL,
      metric: 'price',
      fromMs: iso('2025-09-29T22:00:00Z'),
      toMs: iso('2025-10-01T22:00:00Z'),
      nowMs: iso('2025-10-01T12:00:00Z'),
    });
    expect(whole.points).toHaveLength(24 + 96);
    expect(toIso(whole.points[119].start)).toBe('2025-10-01T21:45:00Z');
    expect(whole.points[119].value).toBe(0.1);
  });

  it('prefers the coupled auction (sequence 1) at the finest resolution and fills the rest from others', async () => {
    body = fixture('entsoe-a44-sequences.xml');
    const req = {
      zone: DE,
      metric: 'price' as const,
      fromMs: iso('2025-10-14T22:00:00Z'),
      toMs: iso('2025-10-15T22:30:00Z'),
      nowMs: iso('2025-10-15T12:00:00Z'),
    };
    const [series] = await provider().fetch(req);
    expect(series.points).toHaveLength(98);
    expect(series.points.slice(0, 6).map((p) => p.value)).toEqual([0.1, 0.1, 0.1, 0.1, 0.11, 0.11]);
    // the next day only has the EXAA auction so far
    expect(series.points.slice(96).map((p) => [toIso(p.start), p.value])).toEqual([
      ['2025-10-15T22:00:00Z', 0.08],
      ['2025-10-15T22:15:00Z', 0.08],
    ]);

    const [exaa] = await entsoe({ baseUrl: `${server.url}/api`, securityToken: TOKEN, sequence: 2 }).fetch(
      req,
    );
    expect(exaa.points.slice(0, 6).map((p) => p.value)).toEqual([0.09, 0.09, 0.09, 0.09, 0.09, 0.09]);
  });

  it('marks a position missing under curve A01 as a gap instead of stretching the price before it', () => {
    const xml = `<Publication_MarketDocument><TimeSeries>
      <currency_Unit.name>EUR</currency_Unit.name><price_Measure_Unit.name>MWH</price_Measure_Unit.name>
      <curveType>A01</curveType>
      <Period><timeInterval><start>2025-01-01T00:00Z</start><end>2025-01-01T04:00Z</end></timeInterval>
        <resolution>PT60M</resolution>
        <Point><position>1</position><price.amount>10</price.amount></Point>
        <Point><position>2</position><price.amount>20</price.amount></Point>
        <Point><position>4</position><price.amount>40</price.amount></Point>
      </Period></TimeSeries></Publication_MarketDocument>`;
    const parsed = parseDayAheadPrices(xml);
    expect(parsed?.intervals.map((iv) => iv.startMs)).toEqual([
      iso('2025-01-01T00:00:00Z'),
      iso('2025-01-01T01:00:00Z'),
      iso('2025-01-01T03:00:00Z'),
    ]);
  });

  it('answers not_found for an acknowledgement without data', async () => {
    body = fixture('entsoe-ack-no-data.xml');
    const err = await failure(
      provider().fetch({
        zone: DE,
        metric: 'price',
        fromMs: iso('2025-10-16T22:00:00Z'),
        toMs: iso('2025-10-17T22:00:00Z'),
        nowMs: iso('2025-10-16T09:00:00Z'),
      }),
    );
    expect(err.kind).toBe('not_found');
    expect(err.message).toMatch(/13:00 CET/);
  });

  it('says what an acknowledgement with another reason refused', async () => {
    body = `<?xml version="1.0" encoding="UTF-8"?><Acknowledgement_MarketDocument xmlns="urn:iec62325.351:tc57wg16:451-1:acknowledgementdocument:7:0">
      <Reason><code>999</code><text>Delivered Area EIC 10Y1001A1001A016 is not valid.</text></Reason></Acknowledgement_MarketDocument>`;
    const err = await failure(
      provider().fetch({ zone: DE, metric: 'price', fromMs: 0, toMs: 3_600_000, nowMs: 0 }),
    );
    expect(err.kind).toBe('malformed');
    expect(err.message).toMatch(/is not valid/);
  });

  it('needs a token, and names GRIDSHIFT_ENTSOE_TOKEN (read by the configuration) without one', async () => {
    const req = { zone: DE, metric: 'price' as const, fromMs: 0, toMs: 3_600_000, nowMs: 0 };
    const err = await failure(entsoe({ baseUrl: `${server.url}/api` }).fetch(req));
    expect(err.kind).toBe('auth');
    expect(err.message).toMatch(/GRIDSHIFT_ENTSOE_TOKEN/);
    expect(server.requests).toHaveLength(0);

    body = fixture('entsoe-a44-dst-a03.xml');
    await entsoe({ baseUrl: `${server.url}/api`, securityToken: 'from-config' }).fetch({
      ...req,
      fromMs: iso('2024-10-27T00:00:00Z'),
      toMs: iso('2024-10-27T01:00:00Z'),
    });
    expect(parseUrl(server.requests[0]).searchParams.get('securityToken')).toBe('from-config');
  });

  it('maps HTTP failures to provider errors and never shows the token', async () => {
    const req = { zone: DE, metric: 'price' as const, fromMs: 0, toMs: 3_600_000, nowMs: 0 };

    server.handle((_r, res) =>
      sendText(res, 401, '<html><body><h1>Unauthorized</h1></body></html>', 'text/html'),
    );
    const auth = await failure(provider().fetch(req));
    expect(auth.kind).toBe('auth');
    expect(auth.message).toMatch(/GRIDSHIFT_ENTSOE_TOKEN/);

    server.handle((_r, res) => {
      res.writeHead(429, { 'retry-after': '60' });
      res.end('Too many requests');
    });
    const limited = await failure(provider().fetch(req));
    expect(limited.kind).toBe('rate_limit');
    expect(limited.retryAfterMs).toBe(60_000);

    server.handle((_r, res) => sendText(res, 503, 'Service Unavailable'));
    expect((await failure(provider().fetch(req))).kind).toBe('unavailable');

    server.handle((_r, res) => sendText(res, 400, '<?xml version="1.0"?><Acknowledgement_MarketDocument/>'));
    const refused = await failure(provider().fetch(req));
    expect(refused.kind).toBe('malformed');
    expect(refused.message).toMatch(/HTTP 400/);

    // the platform's HTTP 400 with an acknowledgement: its reason decides (the header before it is long)
    server.handle((_r, res) => sendText(res, 400, fixture('entsoe-ack-no-data.xml'), 'application/xml'));
    expect((await failure(provider().fetch(req))).kind).toBe('not_found');
    server.handle((_r, res) =>
      sendText(
        res,
        400,
        fixture('entsoe-ack-no-data.xml').replace(
          /<text>No matching data[^<]*</,
          '<text>Delivered Area EIC is not valid.<',
        ),
        'application/xml',
      ),
    );
    const invalid = await failure(provider().fetch(req));
    expect(invalid.kind).toBe('malformed');
    expect(invalid.message).toMatch(
      /HTTP 400\) for zone DE, EIC 10Y1001A1001A82H: .*Delivered Area EIC is not valid\./,
    );

    const closed = server.url;
    await server.close();
    const down = await failure(entsoe({ baseUrl: `${closed}/api`, securityToken: TOKEN }).fetch(req));
    expect(down.kind).toBe('unavailable');
    expect(down.message).not.toContain(TOKEN);
    expect(down.message).toContain('securityToken=***');
    server = await startServer((_req, res) => sendText(res, 200, body));
  });

  it('refuses broken XML and documents of the wrong shape', async () => {
    const req = { zone: DE, metric: 'price' as const, fromMs: 0, toMs: 3_600_000, nowMs: 0 };

    body = '<Publication_MarketDocument><TimeSeries><Period>';
    expect((await failure(provider().fetch(req))).message).toMatch(/not well-formed XML/);

    body = '{"prices": []}';
    expect((await failure(provider().fetch(req))).kind).toBe('malformed');

    body = fixture('entsoe-a44-dst-a03.xml').replace('<price.amount>85.5</price.amount>', '');
    const shape = await failure(provider().fetch(req));
    expect(shape.kind).toBe('malformed');
    expect(shape.message).toMatch(/Point\.0\.price\.amount/);

    body = fixture('entsoe-a44-dst-a03.xml').replace('>-5.25<', '>n/a<');
    expect((await failure(provider().fetch(req))).kind).toBe('malformed');

    body = fixture('entsoe-a44-dst-a03.xml').replace('<position>25</position>', '<position>26</position>');
    expect((await failure(provider().fetch(req))).message).toMatch(/position 26/);

    body = fixture('entsoe-a44-dst-a03.xml').replaceAll(
      '<price_Measure_Unit.name>MWH',
      '<price_Measure_Unit.name>KWH',
    );
    expect((await failure(provider().fetch(req))).message).toMatch(/KWH/);
  });

  it('refuses areas that have an EIC code but no day-ahead price of their own', async () => {
    const p = provider();
    const gb: Zone = {
      code: 'GB',
      name: 'Great Britain',
      timeZone: 'Europe/London',
      country: 'GB',
      ids: { entsoe: '10YGB----------A' },
    };
    const dk: Zone = {
      code: 'DK',
      name: 'Denmark',
      timeZone: 'Europe/Copenhagen',
      country: 'DK',
      ids: { entsoe: '10Y1001A1001A65H' },
    };
    expect(p.supports(gb, 'price')).toBe(false);
    expect(p.supports(dk, 'price')).toBe(false);
    const err = await failure(p.fetch({ zone: dk, metric: 'price', fromMs: 0, toMs: 3_600_000, nowMs: 0 }));
    expect(err.kind).toBe('unsupported');
    expect(err.message).toMatch(/DK-DK1/);
    expect(server.requests).toHaveLength(0);
  });

  it('maps our zone codes to bidding zones, with ids.entsoe taking precedence', async () => {
    expect(entsoeEic(DE)).toBe('10Y1001A1001A82H');
    expect(entsoeEic({ ...DE, code: 'SE-SE3' })).toBe('10Y1001A1001A46L');
    expect(entsoeEic({ ...DE, code: 'NO-NO5' })).toBe('10Y1001A1001A48H');
    expect(entsoeEic({ ...DE, code: 'IE' })).toBe('10Y1001A1001A59C');
    expect(entsoeEic({ ...DE, code: 'GB' })).toBeUndefined();
    expect(Object.values(ENTSOE_BIDDING_ZONES).every((eic) => /^[0-9]{2}[A-Z0-9-]{14}$/.test(eic))).toBe(
      true,
    );

    const p = provider();
    expect(p.supports({ ...DE, code: 'GB' }, 'price')).toBe(false);
    expect(p.supports(DE, 'carbon_average')).toBe(false);
    const custom: Zone = { ...DE, code: 'XX', ids: { entsoe: '10YNL----------L' } };
    expect(p.supports(custom, 'price')).toBe(true);

    body = fixture('entsoe-a44-mixed-resolution.xml');
    await p.fetch({
      zone: custom,
      metric: 'price',
      fromMs: iso('2025-09-30T20:00:00Z'),
      toMs: iso('2025-09-30T21:00:00Z'),
      nowMs: 0,
    });
    expect(parseUrl(server.requests[0]).searchParams.get('in_Domain')).toBe('10YNL----------L');

    const err = await failure(
      p.fetch({ zone: { ...DE, code: 'GB' }, metric: 'price', fromMs: 0, toMs: 1, nowMs: 0 }),
    );
    expect(err.kind).toBe('unsupported');
    expect(err.message).toMatch(/ids\.entsoe/);
  });
});
