import { describe, expect, it } from 'vitest';
import { parseEnergyKwh, parseMassG, parsePositive, parsePowerKw } from '../../src/cli/quantities.ts';
import { InputError } from '../../src/core/errors.ts';

describe('quantities', () => {
  it('power with units; a bare number in the default unit', () => {
    expect(parsePowerKw('1.5kW')).toBe(1.5);
    expect(parsePowerKw('800 W')).toBeCloseTo(0.8, 12);
    expect(parsePowerKw('2MW')).toBe(2000);
    expect(parsePowerKw('2')).toBe(2);
    expect(parsePowerKw('300', '--power-w', 'W')).toBeCloseTo(0.3, 12);
  });

  it('energy and mass', () => {
    expect(parseEnergyKwh('3kWh')).toBe(3);
    expect(parseEnergyKwh('500Wh')).toBeCloseTo(0.5, 12);
    expect(parseMassG('500g')).toBe(500);
    expect(parseMassG('2kg')).toBe(2000);
    expect(parseMassG('1t')).toBe(1e6);
    expect(parseMassG('250')).toBe(250);
  });

  it('rejects unknown units, zero and junk, naming the option', () => {
    expect(() => parsePowerKw('1.5 horsepower')).toThrow(/--power: cannot read "1.5 horsepower".*e.g. 1.5kW/);
    expect(() => parseEnergyKwh('0kWh')).toThrow(/--energy: must be greater than 0/);
    expect(() => parseMassG('-5g')).toThrow(InputError);
    expect(() => parsePositive('abc', '--gpus', { integer: true })).toThrow(
      /--gpus: "abc" is not a whole number/,
    );
    expect(() => parsePositive('1.5', '--gpus', { integer: true })).toThrow(InputError);
    expect(() => parsePositive('0.9', '--pue', { min: 1 })).toThrow(/>= 1/);
    expect(parsePositive('0', '--alternatives', { min: 0, integer: true })).toBe(0);
  });
});
