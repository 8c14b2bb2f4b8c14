export * from './audit.ts';
export * from './db.ts';
export * from './grid-events.ts';
export * from './home.ts';
export * from './loads.ts';
export * from './migrations.ts';
export * from './scheduler.ts';
export type { Migration } from './schema.ts';
export * from './tokens.ts';
