import type { HomeConfig } from '../../src/core/home-config.ts';
import { homeSchema, readHome } from '../../src/core/home-config.ts';

/** A home as the configuration file would give it (the `home` section), checked and with its defaults. */
export function testHome(raw: Record<string, unknown> = {}): HomeConfig {
  return readHome(homeSchema.parse({ zone: 'DE', timeZone: 'UTC', ...raw }), (keyPath, message) => {
    throw new Error(`${keyPath}: ${message}`);
  });
}
