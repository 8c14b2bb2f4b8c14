import {
  ConfigError,
  type GridshiftConfig,
  type LoadConfigOptions,
  loadConfigWith,
  type ParseOptions,
  parseConfigWith,
} from '../core/config.ts';
import { PROVIDERS } from './providers.ts';
import { readPvSource } from './pv-site.ts';

/**
 * The configuration as gridshift reads it: src/core/config.ts does the work, against the providers of
 * providers.ts (their names, option schemas and secrets).
 */

/** Finds, reads and validates the configuration (see loadConfigWith for the lookup order). */
export function loadConfig(options: LoadConfigOptions = {}): GridshiftConfig {
  const config = loadConfigWith(PROVIDERS, options);
  return withPvChecked(config, config.file);
}

/** Validates a parsed config document and applies the environment; throws ConfigError naming where and what. */
export function parseConfig(raw: unknown, options: ParseOptions = {}): GridshiftConfig {
  return withPvChecked(parseConfigWith(raw, PROVIDERS, options), options.source);
}

/** The home's PV array options, checked by the PV sources' own schema (signals/pv-site.ts). */
function withPvChecked(config: GridshiftConfig, source = 'config'): GridshiftConfig {
  const pv = config.home?.pv;
  if (pv) {
    try {
      readPvSource(pv.options, pv.source);
    } catch (err) {
      throw new ConfigError((err as Error).message.replace(`${pv.source}: `, ''), {
        source,
        keyPath: 'home.pv',
      });
    }
  }
  return config;
}
