import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.ts';
import { parseLoadInput } from '../../src/core/load-input.ts';
import { HOUR_MS, MINUTE_MS } from '../../src/core/time.ts';
import { DEFAULT_SETTINGS, retryDelayMs } from '../../src/runner/context.ts';
import { prepareLoad } from '../../src/runner/submit.ts';

const T0 = Date.UTC(2025, 5, 2, 6, 0);

describe('retry delays', () => {
  it('double from the base with jitter between half and all of it, up to the cap', () => {
    const retry = { delaySeconds: 30, backoff: true, maxDelaySeconds: 100 };
    expect(retryDelayMs(retry, 1, () => 0)).toBe(15_000);
    expect(retryDelayMs(retry, 1, () => 1)).toBe(30_000);
    expect(retryDelayMs(retry, 2, () => 1)).toBe(60_000);
    expect(retryDelayMs(retry, 3, () => 1)).toBe(100_000);
    expect(retryDelayMs(retry, 9, () => 0.5)).toBe(75_000);
    expect(retryDelayMs({ ...retry, backoff: false }, 5, () => 0)).toBe(30_000);
    expect(retryDelayMs({ ...retry, delaySeconds: 0 }, 3)).toBe(0);
    expect(DEFAULT_SETTINGS.retry).toEqual({ delaySeconds: 30, backoff: true, maxDelaySeconds: 3600 });
  });
});

describe('reading a submitted load', () => {
  const base = { name: 'job', zones: ['DE'], durationMin: 90, powerKw: 1.5 };

  it('names the field of the first problem', () => {
    const problem = (raw: unknown) => {
      try {
        parseLoadInput(raw);
      } catch (err) {
        expect(err).toBeInstanceOf(InputError);
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(problem({ ...base, powerKw: undefined })).toBe(
      'powerKw: give two of durationMin, powerKw and energyKwh (e.g. durationMin and powerKw)',
    );
    expect(problem({ ...base, tags: ['ok', ''] })).toMatch(/^tags\[1\]: /);
    expect(problem({ ...base, dispatch: { kind: 'shell', command: 'x', shell: 'bash' } })).toBe(
      'dispatch.shell: unknown field',
    );
    expect(problem({ ...base, earliest: 'tomorrow' })).toMatch(/^earliest: /);
    expect(problem({ ...base, deadline: '2025-06-02T08:00:00Z', maxDelayMin: 30 })).toBe(
      'deadline: give deadline or maxDelayMin, not both',
    );
  });

  it('defaults the earliest start to now and the deadline to 24 hours later, or maxDelayMin after it', () => {
    const a = prepareLoad(parseLoadInput(base), T0);
    expect(a.newLoad).toMatchObject({
      earliestMs: T0,
      deadlineMs: T0 + 24 * HOUR_MS,
      durationMin: 90,
      zones: ['DE'],
    });
    expect(a.request).toMatchObject({ baselineStartMs: T0, powerKw: 1.5, objective: { kind: 'carbon' } });
    const b = prepareLoad(parseLoadInput({ ...base, maxDelayMin: 60 }), T0);
    expect(b.newLoad.deadlineMs).toBe(T0 + (60 + 90) * MINUTE_MS);
  });

  it('rounds the duration up to whole minutes, derives power from energy, and resolves regions', () => {
    const p = prepareLoad(
      parseLoadInput({ name: 'gpu', region: 'eu-west-1', durationMin: 29.5, energyKwh: 3 }),
      T0,
    );
    expect(p.newLoad).toMatchObject({
      durationMin: 30,
      zones: ['IE'],
      cloudRegion: 'eu-west-1',
      energyKwh: 3,
    });
    expect(p.request.powerKw).toBeCloseTo(6, 12);
  });

  it('refuses windows too short for the run', () => {
    expect(() =>
      prepareLoad(
        parseLoadInput({ ...base, earliest: '2025-06-02T06:00:00Z', deadline: '2025-06-02T07:00:00Z' }),
        T0,
      ),
    ).toThrow(
      /^deadline: a 1h 30m run starting at 2025-06-02T06:00:00Z cannot finish by 2025-06-02T07:00:00Z/,
    );
    expect(() =>
      prepareLoad(
        parseLoadInput({ ...base, earliest: '2025-06-02T06:00:00Z', deadline: '2025-06-02T05:00:00Z' }),
        T0,
      ),
    ).toThrow(/^deadline: .* is not after the earliest start/);
  });
});
