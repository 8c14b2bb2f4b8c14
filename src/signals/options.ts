import { z } from 'zod';
import { parseDurationMs } from '../core/config.ts';
import { METRICS } from '../core/series.ts';

/** Option schemas several providers share, so that `baseUrl` or `currency` read the same everywhere. */

const baseUrlOption = z.url({ message: 'must be an http(s) URL' });

/** A timeout as milliseconds or a duration string (`10s`). */
export const timeoutOption = z.union([
  z.number().positive(),
  z.string().transform((text, ctx) => {
    try {
      return parseDurationMs(text);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  }),
]);

/** The options of a provider behind an HTTP API. */
export const httpOptions = { baseUrl: baseUrlOption.optional(), timeoutMs: timeoutOption.optional() };

export const currencyOption = z.enum(['EUR', 'GBP', 'USD', 'SEK', 'NOK', 'DKK', 'AUD', 'JPY', 'INR', 'SGD'], {
  message: 'must be a currency code like EUR',
});

export const metricOption = z.enum(METRICS);
