export * from './audit.ts';
export * from './db.ts';
export * from './loads.ts';
export * from './migrations.ts';
export * from './openai.ts';
export * from './scheduler.ts';
export type { Migration } from './schema.ts';
export * from './tokens.ts';
