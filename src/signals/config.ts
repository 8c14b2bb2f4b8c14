import {
  type GridshiftConfig,
  type LoadConfigOptions,
  loadConfigWith,
  type ParseOptions,
  parseConfigWith,
} from '../core/config.ts';
import { PROVIDERS } from './providers.ts';

/**
 * The configuration as gridshift reads it: src/core/config.ts does the work, against the providers of
 * providers.ts (their names, option schemas and secrets).
 */

/** Finds, reads and validates the configuration (see loadConfigWith for the lookup order). */
export function loadConfig(options: LoadConfigOptions = {}): GridshiftConfig {
  return loadConfigWith(PROVIDERS, options);
}

/** Validates a parsed config document and applies the environment; throws ConfigError naming where and what. */
export function parseConfig(raw: unknown, options: ParseOptions = {}): GridshiftConfig {
  return parseConfigWith(raw, PROVIDERS, options);
}
