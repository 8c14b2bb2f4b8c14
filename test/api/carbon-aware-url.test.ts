import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CARBON_AWARE_PATHS, normaliseCarbonAwareUrl } from '../../src/api/carbon-aware-url.ts';

describe('normaliseCarbonAwareUrl', () => {
  it('spells SDK paths and query keys as declared, keeping values as sent', () => {
    expect(normaliseCarbonAwareUrl('/Emissions/ByLocation/?LOCATION=EastUS&toTIME=2022-05-11T00%3A00Z')).toBe(
      '/emissions/bylocation?location=EastUS&toTime=2022-05-11T00%3A00Z',
    );
    expect(normaliseCarbonAwareUrl('/emissions/bylocations?location[1]=b&time=t&location[0]=a')).toBe(
      '/emissions/bylocations?location=a&location=b&time=t',
    );
    expect(normaliseCarbonAwareUrl('/emissions/bylocations?other=1&Location=a')).toBe(
      '/emissions/bylocations?other=1&location=a',
    );
  });

  it('leaves every other URL alone', () => {
    expect(normaliseCarbonAwareUrl('/V1/Loads?Location=x')).toBe('/V1/Loads?Location=x');
    expect(normaliseCarbonAwareUrl('/emissions/bylocationx?location=a')).toBe(
      '/emissions/bylocationx?location=a',
    );
  });

  it('is idempotent and case-blind on the SDK paths', () => {
    const path = fc.constantFrom(...CARBON_AWARE_PATHS);
    const flipCase = (s: string, mask: number) =>
      [...s].map((c, i) => ((mask >> (i % 31)) & 1 ? c.toUpperCase() : c)).join('');
    const query = fc.array(
      fc.tuple(
        fc.constantFrom('location', 'Location', 'location[0]', 'TIME', 'x'),
        fc.stringMatching(/^[a-z0-9%]{0,6}$/),
      ),
      { maxLength: 5 },
    );
    fc.assert(
      fc.property(path, fc.integer({ min: 0 }), query, (p, mask, q) => {
        const url = `${flipCase(p, mask)}?${q.map(([k, v]) => `${k}=${v}`).join('&')}`;
        const once = normaliseCarbonAwareUrl(url);
        expect(once.startsWith(`${p}?`)).toBe(true);
        expect(normaliseCarbonAwareUrl(once)).toBe(once);
      }),
    );
  });
});
