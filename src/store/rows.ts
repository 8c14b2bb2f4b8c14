/**
 * Column values as the drivers hand them back (timestamps as Date, or ISO text), turned into the
 * repositories' types. One set of converters, so every row mapper reads times and numbers alike.
 */

/** A timestamp column as epoch milliseconds. */
export const ms = (v: unknown): number => (v instanceof Date ? v.getTime() : new Date(v as string).getTime());

export const msOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : ms(v));

export const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
