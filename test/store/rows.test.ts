import { describe, expect, it } from 'vitest';
import { ms, msOrNull, numOrNull } from '../../src/store/rows.ts';

describe('row values', () => {
  it('reads timestamps given as Date or as ISO text', () => {
    const t = Date.UTC(2025, 0, 15, 12, 30, 0, 250);
    expect(ms(new Date(t))).toBe(t);
    expect(ms('2025-01-15T12:30:00.250Z')).toBe(t);
    expect(ms('2025-01-15 13:30:00.25+01')).toBe(t);
    expect(msOrNull(null)).toBeNull();
    expect(msOrNull(undefined)).toBeNull();
    expect(msOrNull(new Date(t))).toBe(t);
  });

  it('reads numeric columns (text from PostgreSQL) as numbers, keeping null', () => {
    expect(numOrNull('12.25')).toBe(12.25);
    expect(numOrNull(0)).toBe(0);
    expect(numOrNull(null)).toBeNull();
    expect(numOrNull(undefined)).toBeNull();
  });
});
