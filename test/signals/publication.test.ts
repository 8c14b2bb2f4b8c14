import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HOUR_MS, MINUTE_MS } from '../../src/core/time.ts';
import {
  AGILE_PUBLICATION,
  DAY_AHEAD_CEILING_MS,
  dayAheadFetchEndMs,
  dayAheadFreshness,
  EU_DAY_AHEAD_PUBLICATION,
  lastPublicationMs,
  nextPublicationMs,
  publishedUntilMs,
} from '../../src/signals/publication.ts';

const t = (iso: string) => Date.parse(iso);
const EU = EU_DAY_AHEAD_PUBLICATION;
const AGILE = AGILE_PUBLICATION;

// 2026: Europe/Brussels and Europe/London change to summer time on 29 March at 01:00Z and back on 25 October
// at 01:00Z. Brussels is UTC+1 (CET) in winter, UTC+2 (CEST) in summer; London UTC+0, then UTC+1 (BST).

describe('EU day-ahead publication (13:15 Brussels)', () => {
  it('finds the next publication in winter and summer', () => {
    expect(nextPublicationMs(EU, t('2026-01-15T08:00:00Z'))).toBe(t('2026-01-15T12:15:00Z'));
    // strictly after: at the publication itself, the next one is tomorrow's
    expect(nextPublicationMs(EU, t('2026-01-15T12:15:00Z'))).toBe(t('2026-01-16T12:15:00Z'));
    // 01:30 CEST on 16 July
    expect(nextPublicationMs(EU, t('2026-07-15T23:30:00Z'))).toBe(t('2026-07-16T11:15:00Z'));
  });

  it('finds the last publication, at or before now', () => {
    expect(lastPublicationMs(EU, t('2026-01-15T08:00:00Z'))).toBe(t('2026-01-14T12:15:00Z'));
    expect(lastPublicationMs(EU, t('2026-01-15T12:15:00Z'))).toBe(t('2026-01-15T12:15:00Z'));
    // 12:00 CEST on the day clocks went forward: yesterday's 13:15 CET
    expect(lastPublicationMs(EU, t('2026-03-29T10:00:00Z'))).toBe(t('2026-03-28T12:15:00Z'));
  });

  it('crosses the spring change: 13:15 CET, then 13:15 CEST', () => {
    expect(nextPublicationMs(EU, t('2026-03-28T13:00:00Z'))).toBe(t('2026-03-29T11:15:00Z'));
  });

  it('crosses the autumn change: 13:15 CEST, then 13:15 CET', () => {
    expect(nextPublicationMs(EU, t('2026-10-24T12:00:00Z'))).toBe(t('2026-10-25T12:15:00Z'));
  });

  it('says what is published: through the end of tomorrow after 13:15, of today before', () => {
    // 09:00 CET: yesterday's auction, for today, ending at midnight CET (23:00Z)
    expect(publishedUntilMs(EU, t('2026-01-15T08:00:00Z'))).toBe(t('2026-01-15T23:00:00Z'));
    expect(publishedUntilMs(EU, t('2026-01-15T12:15:00Z'))).toBe(t('2026-01-16T23:00:00Z'));
    // before the auction on 28 March: 29 March 00:00 CET
    expect(publishedUntilMs(EU, t('2026-03-28T11:00:00Z'))).toBe(t('2026-03-28T23:00:00Z'));
    // after it: the 23-hour day of 29 March, ending at 30 March 00:00 CEST
    expect(publishedUntilMs(EU, t('2026-03-28T13:00:00Z'))).toBe(t('2026-03-29T22:00:00Z'));
    // the 25-hour day of 25 October, ending at 26 October 00:00 CET
    expect(publishedUntilMs(EU, t('2026-10-24T12:00:00Z'))).toBe(t('2026-10-25T23:00:00Z'));
  });
});

describe('Octopus Agile publication (16:15 London)', () => {
  it('crosses the spring change', () => {
    // 16:15 GMT on the 28th, then 16:15 BST (15:15Z) on the 29th
    expect(nextPublicationMs(AGILE, t('2026-03-28T12:00:00Z'))).toBe(t('2026-03-28T16:15:00Z'));
    expect(nextPublicationMs(AGILE, t('2026-03-28T17:00:00Z'))).toBe(t('2026-03-29T15:15:00Z'));
    // the rates published on the 28th run to 23:00 BST on the 29th
    expect(publishedUntilMs(AGILE, t('2026-03-28T17:00:00Z'))).toBe(t('2026-03-29T22:00:00Z'));
  });

  it('crosses the autumn change', () => {
    // 17:00 BST on 24 October: published at 16:15 BST (15:15Z), up to 23:00 GMT on the 25th
    expect(lastPublicationMs(AGILE, t('2026-10-24T16:00:00Z'))).toBe(t('2026-10-24T15:15:00Z'));
    expect(publishedUntilMs(AGILE, t('2026-10-24T16:00:00Z'))).toBe(t('2026-10-25T23:00:00Z'));
    // noon GMT on the 25th: still those rates; the next ones at 16:15 GMT
    expect(publishedUntilMs(AGILE, t('2026-10-25T12:00:00Z'))).toBe(t('2026-10-25T23:00:00Z'));
    expect(nextPublicationMs(AGILE, t('2026-10-25T12:00:00Z'))).toBe(t('2026-10-25T16:15:00Z'));
  });
});

describe('publication times, for any instant (property)', () => {
  it('brackets now between the last and the next publication, a day (23 to 25 h) apart', () => {
    const instant = fc.integer({ min: t('2024-01-01T00:00:00Z'), max: t('2030-12-31T00:00:00Z') });
    fc.assert(
      fc.property(instant, fc.constantFrom(EU, AGILE), (now, publication) => {
        const last = lastPublicationMs(publication, now);
        const next = nextPublicationMs(publication, now);
        expect(last).toBeLessThanOrEqual(now);
        expect(next).toBeGreaterThan(now);
        expect([23, 24, 25].map((h) => h * HOUR_MS)).toContain(next - last);
        // what is published reaches past now, and moves on by one delivery day at the next publication
        const until = publishedUntilMs(publication, now);
        expect(until).toBeGreaterThan(now);
        expect([23, 24, 25].map((h) => h * HOUR_MS)).toContain(publishedUntilMs(publication, next) - until);
      }),
    );
  });
});

describe('how long a day-ahead series stays current', () => {
  const fetched = (iso: string, toIso: string, dataEndIso: string, ttlMs = DAY_AHEAD_CEILING_MS) =>
    dayAheadFreshness(EU, { fetchedAtMs: t(iso), toMs: t(toIso), dataEndMs: t(dataEndIso), ttlMs });

  it('keeps a complete series until the next publication', () => {
    // 10:00 CET: today is all there is; kept until 13:15 CET, and it answers later ends meanwhile
    expect(fetched('2026-01-15T09:00:00Z', '2026-01-16T09:00:00Z', '2026-01-15T23:00:00Z')).toEqual({
      expiresAtMs: t('2026-01-15T12:15:00Z'),
      complete: true,
      openEnded: true,
    });
    // 13:20 CET with tomorrow in: kept until tomorrow's publication, 23 h 55 min later
    expect(fetched('2026-01-15T12:20:00Z', '2026-01-16T23:00:00Z', '2026-01-16T23:00:00Z')).toEqual({
      expiresAtMs: t('2026-01-16T12:15:00Z'),
      complete: true,
      openEnded: true,
    });
  });

  it('asks again after 30 minutes when a fetch after publication lacks the next day (late auction)', () => {
    expect(fetched('2026-01-15T12:20:00Z', '2026-01-16T23:00:00Z', '2026-01-15T23:00:00Z')).toEqual({
      expiresAtMs: t('2026-01-15T12:50:00Z'),
      complete: false,
      openEnded: false,
    });
  });

  it('never keeps longer than the TTL', () => {
    const sixHours = fetched(
      '2026-01-15T12:20:00Z',
      '2026-01-16T23:00:00Z',
      '2026-01-16T23:00:00Z',
      6 * HOUR_MS,
    );
    expect(sixHours.expiresAtMs).toBe(t('2026-01-15T18:20:00Z'));
    const late = fetched(
      '2026-01-15T12:20:00Z',
      '2026-01-16T23:00:00Z',
      '2026-01-15T23:00:00Z',
      10 * MINUTE_MS,
    );
    expect(late.expiresAtMs).toBe(t('2026-01-15T12:30:00Z'));
  });

  it('keeps a past range until the next publication, answering only up to its end', () => {
    expect(fetched('2026-01-15T09:00:00Z', '2026-01-15T09:00:00Z', '2026-01-15T09:00:00Z')).toEqual({
      expiresAtMs: t('2026-01-15T12:15:00Z'),
      complete: true,
      openEnded: false,
    });
  });

  it('fetches a range reaching past now up to everything published', () => {
    const now = t('2026-01-15T12:20:00Z');
    expect(dayAheadFetchEndMs(EU, t('2026-01-15T15:00:00Z'), now)).toBe(t('2026-01-16T23:00:00Z'));
    expect(dayAheadFetchEndMs(EU, t('2026-01-18T00:00:00Z'), now)).toBe(t('2026-01-18T00:00:00Z'));
    // history stays history
    expect(dayAheadFetchEndMs(EU, t('2026-01-15T12:00:00Z'), now)).toBe(t('2026-01-15T12:00:00Z'));
  });
});
