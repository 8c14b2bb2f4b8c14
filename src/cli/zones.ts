/** `gridshift zones`: the zones gridshift knows, and which grid zone powers each cloud region. */
import { Command } from 'commander';
import {
  CLOUD_REGIONS,
  type CloudRegion,
  closeMatches,
  listZones,
  ZONE_ALIASES,
  type Zone,
} from '../core/zones.ts';
import { type Cli, globalsOf } from './context.ts';
import { formatTable } from './format.ts';

function aliasesOf(code: string): string[] {
  return Object.entries(ZONE_ALIASES)
    .filter(([, target]) => target === code)
    .map(([alias]) => alias);
}

function zoneMatches(z: Zone, needle: string): boolean {
  const hay = [z.code, z.name, z.timeZone, z.country, ...aliasesOf(z.code)].join('\n').toLowerCase();
  return hay.includes(needle);
}

function regionMatches(r: CloudRegion, needle: string): boolean {
  return [r.provider, r.region, `${r.provider}:${r.region}`, r.location, r.zone]
    .join('\n')
    .toLowerCase()
    .includes(needle);
}

export function zonesCommand(cli: Cli): Command {
  return new Command('zones')
    .description(
      'list the grid zones (code, name, time zone) or, with --cloud, the cloud regions and their zones',
    )
    .option('--cloud', 'list cloud regions (AWS, Azure, Google Cloud) and the grid zone of each')
    .option('--search <text>', 'only entries whose code, name, alias, time zone or location contains <text>')
    .action((opts: { cloud?: boolean; search?: string }, command: Command) => {
      const globals = globalsOf(command);
      const needle = opts.search?.trim().toLowerCase();
      if (opts.cloud) {
        const regions = CLOUD_REGIONS.filter((r) => !needle || regionMatches(r, needle));
        if (globals.json) return cli.printJson({ cloudRegions: regions });
        if (regions.length === 0) return noMatch(cli, opts.search ?? '');
        cli.print(
          formatTable(
            regions.map((r) => [r.provider, r.region, r.location, r.zone]),
            { header: ['PROVIDER', 'REGION', 'LOCATION', 'ZONE'] },
          ),
        );
        return;
      }
      const zones = listZones().filter((z) => !needle || zoneMatches(z, needle));
      if (globals.json) {
        return cli.printJson({ zones: zones.map((z) => ({ ...z, aliases: aliasesOf(z.code) })) });
      }
      if (zones.length === 0) return noMatch(cli, opts.search ?? '');
      cli.print(
        formatTable(
          zones.map((z) => [z.code, z.name, z.timeZone, aliasesOf(z.code).join(', ')]),
          { header: ['ZONE', 'NAME', 'TIME ZONE', 'ALIASES'] },
        ),
      );
    });
}

function noMatch(cli: Cli, text: string): void {
  const close = closeMatches(text);
  cli.print(`no entry matches "${text}"${close.length ? `; close: ${close.join(', ')}` : ''}`);
}
