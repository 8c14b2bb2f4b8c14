/**
 * Quantities typed on the command line with their units: power (`1.5kW`, `800W`), energy (`3kWh`),
 * mass of CO2 (`500g`, `2kg`, `1t`) and plain positive numbers. Errors name the option and the text.
 */
import { InputError } from '../core/errors.ts';

const POWER_KW: Record<string, number> = { w: 1e-3, kw: 1, mw: 1e3 };
const ENERGY_KWH: Record<string, number> = { wh: 1e-3, kwh: 1, mwh: 1e3 };
const MASS_G: Record<string, number> = { g: 1, kg: 1e3, t: 1e6 };

function withUnit(
  text: string,
  what: string,
  units: Record<string, number>,
  defaultUnit: string,
  example: string,
): number {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)\s*$/i.exec(String(text));
  const unit = m ? (m[2] || defaultUnit).toLowerCase() : '';
  const factor = units[unit];
  if (!m || factor === undefined) {
    throw new InputError(
      `${what}: cannot read "${text}"; write a number with a unit (${Object.keys(units).join(', ')}), e.g. ${example}`,
    );
  }
  const value = Number(m[1]) * factor;
  if (!(value > 0)) throw new InputError(`${what}: must be greater than 0, got "${text}"`);
  return value;
}

/** Power in kW; a bare number is in `defaultUnit`. */
export function parsePowerKw(text: string, what = '--power', defaultUnit: 'W' | 'kW' = 'kW'): number {
  return withUnit(text, what, POWER_KW, defaultUnit.toLowerCase(), '1.5kW or 800W');
}

/** Energy in kWh; a bare number is kWh. */
export function parseEnergyKwh(text: string, what = '--energy'): number {
  return withUnit(text, what, ENERGY_KWH, 'kwh', '3kWh or 500Wh');
}

/** Mass of CO2 in grams; a bare number is grams. */
export function parseMassG(text: string, what = '--carbon-cap'): number {
  return withUnit(text, what, MASS_G, 'g', '500g or 2kg');
}

/** A finite number greater than 0 (or >= `min`). */
export function parsePositive(
  text: string,
  what: string,
  options: { min?: number; integer?: boolean } = {},
): number {
  const value = Number(String(text).trim());
  const min = options.min;
  const ok =
    String(text).trim() !== '' &&
    Number.isFinite(value) &&
    (min === undefined ? value > 0 : value >= min) &&
    (!options.integer || Number.isInteger(value));
  if (!ok) {
    const kind = options.integer ? 'a whole number' : 'a number';
    const bound = min === undefined ? 'greater than 0' : `>= ${min}`;
    throw new InputError(`${what}: "${text}" is not ${kind} ${bound}`);
  }
  return value;
}
