import { annualDescriptor } from './annual.ts';
import { csvDescriptor } from './csv.ts';
import { electricityMapsDescriptor } from './electricitymaps.ts';
import { entsoeDescriptor } from './entsoe.ts';
import { nordPoolDescriptor } from './nordpool.ts';
import { octopusDescriptor } from './octopus.ts';
import { profileDescriptor } from './profile.ts';
import type { ProviderDescriptor } from './provider.ts';
import { simulatorDescriptor } from './simulator.ts';
import { ukgridDescriptor } from './ukgrid.ts';
import { wattTimeDescriptor } from './watttime.ts';

/**
 * Every provider a chain can name, each described by its own file. The configuration, the registry and the
 * cache read this list; adding a provider is adding its descriptor here.
 */
export const PROVIDERS = [
  electricityMapsDescriptor,
  wattTimeDescriptor,
  ukgridDescriptor,
  octopusDescriptor,
  entsoeDescriptor,
  nordPoolDescriptor,
  csvDescriptor,
  profileDescriptor,
  simulatorDescriptor,
  annualDescriptor,
] as const satisfies readonly ProviderDescriptor[];

export type ProviderName = (typeof PROVIDERS)[number]['name'];

/** The descriptor of a provider, by name. */
export function providerDescriptor(name: string): ProviderDescriptor | undefined {
  return PROVIDERS.find((p) => p.name === name);
}
