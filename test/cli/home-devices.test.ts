/** `gridshift home devices` in this process, directly on the embedded store and on PostgreSQL. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, skipPostgres, TEST_DATABASE_URL } from '../store/backends.ts';
import { scratchDatabase } from '../store/scratch-database.ts';
import { okJson, runIn } from './service-helpers.ts';

const DIR = mkdtempSync(join(tmpdir(), 'gridshift-home-devices-'));
const scratch = scratchDatabase('gridshift_devices', TEST_DATABASE_URL);
// a migrated data directory copied from the test template (initdb takes seconds); the commands open it
const embedded = BACKENDS[0].make();
const embeddedEnv: Record<string, string> = {};
beforeAll(async () => {
  const store = await embedded.open();
  if (store.kind !== 'embedded') throw new Error('not the embedded store');
  embeddedEnv.GRIDSHIFT_DATA_DIR = store.dataDir;
  await store.close();
  if (!skipPostgres) await scratch.create();
}, 60_000);
afterAll(async () => {
  await embedded.cleanup();
  rmSync(DIR, { recursive: true, force: true });
  if (!skipPostgres) await scratch.drop();
}, 30_000);

const STORES: { name: string; env: Record<string, string>; skip: boolean }[] = [
  { name: 'embedded store', env: embeddedEnv, skip: false },
  { name: 'PostgreSQL', env: { DATABASE_URL: scratch.url }, skip: skipPostgres },
];

describe.each(STORES)('gridshift home devices on the $name', ({ env, skip }) => {
  const gs = (...args: string[]) => runIn(['home', 'devices', ...args], { env, cwd: DIR });

  it.skipIf(skip)(
    'adds, lists, changes and removes devices',
    async () => {
      const added = okJson(
        await gs(
          'add',
          'dishwasher',
          '--kind',
          'dishwasher',
          '--adapter',
          'shelly',
          '--url',
          'http://192.168.1.20',
          '--password-env',
          'DW_PASSWORD',
          '--power',
          '2.2kW',
          '--action',
          'delay_start',
          '--run',
          '2h30m',
          '--protect',
          '22:00-06:00',
          '--protect',
          '12:00-13:00',
          '--delegated',
          '--timeout',
          '3s',
          '--json',
        ),
      ).device;
      expect(added).toMatchObject({
        name: 'dishwasher',
        kind: 'dishwasher',
        adapter: { type: 'shelly', url: 'http://192.168.1.20', passwordEnv: 'DW_PASSWORD', timeoutMs: 3000 },
        ratedPowerW: 2200,
        delegated: true,
        action: 'delay_start',
        runMin: 150,
        protectedWindows: ['22:00-06:00', '12:00-13:00'],
      });

      const text = await gs(
        'add',
        'plug',
        '--kind',
        'plug',
        '--adapter',
        'mqtt',
        '--convention',
        'tasmota',
        '--topic',
        'tasmota_8A1B2C',
        '--power',
        '500',
        '--action',
        'turn_off',
      );
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toBe(
        'Added plug (plug, 500 W): mqtt tasmota tasmota_8A1B2C\n  not delegated (watched only); in a peak: turn_off\n',
      );

      const listed = await gs('list');
      expect(listed.code).toBe(0);
      const lines = listed.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^NAME\s+KIND\s+RATED\s+DELEGATED\s+ACTION\s+PROTECTED\s+ADAPTER$/);
      expect(lines[1]).toMatch(/^─/);
      expect(lines[2]).toMatch(
        /^dishwasher\s+dishwasher\s+2200 W\s+yes\s+delay_start 150 min\s+22:00-06:00,12:00-13:00\s+shelly http:\/\/192\.168\.1\.20 switch 0$/,
      );
      expect(lines[3]).toMatch(/^plug\s+plug\s+500 W\s+no\s+turn_off\s+-\s+mqtt tasmota tasmota_8A1B2C$/);

      const changed = okJson(
        await gs(
          'set',
          'plug',
          '--action',
          'limit_power',
          '--limit',
          '40%',
          '--channel',
          '2',
          '--protect',
          '07:00-08:00',
          '--json',
        ),
      ).device;
      expect(changed).toMatchObject({
        action: 'limit_power',
        limitPct: 40,
        adapter: { type: 'mqtt', convention: 'tasmota', topic: 'tasmota_8A1B2C', channel: 2 },
        protectedWindows: ['07:00-08:00'],
      });
      const cleared = okJson(
        await gs('set', 'plug', '--no-protect', '--no-delegated', '--name', 'socket', '--json'),
      ).device;
      expect(cleared).toMatchObject({ name: 'socket', protectedWindows: [], delegated: false, limitPct: 40 });

      expect((await gs('remove', 'socket')).stdout).toBe('Removed device socket.\n');
      expect((await gs('remove', 'dishwasher')).code).toBe(0);
      expect(okJson(await gs('list', '--json')).devices).toEqual([]);
    },
    120_000,
  );

  it.skipIf(skip)(
    'exits 2 naming the field, a name taken or an unknown device',
    async () => {
      const window = await gs(
        'add',
        'x',
        '--kind',
        'plug',
        '--adapter',
        'virtual',
        '--power',
        '100W',
        '--action',
        'turn_off',
        '--protect',
        '7-8',
      );
      expect(window.code).toBe(2);
      expect(window.stderr).toContain('protectedWindows.0');
      const noAdapter = await gs('add', 'x', '--kind', 'plug', '--power', '100W', '--action', 'turn_off');
      expect(noAdapter.code).toBe(2);
      expect(noAdapter.stderr).toContain('--adapter: give one of mqtt, shelly, homeassistant, virtual');
      const limit = await gs(
        'add',
        'x',
        '--kind',
        'plug',
        '--adapter',
        'virtual',
        '--power',
        '1kW',
        '--action',
        'limit_power',
      );
      expect(limit.code).toBe(2);
      expect(limit.stderr).toContain('limitPct: limit_power needs limitPct');
      expect(
        (
          await gs(
            'add',
            'x',
            '--kind',
            'plug',
            '--adapter',
            'virtual',
            '--power',
            '1kW',
            '--action',
            'turn_off',
          )
        ).code,
      ).toBe(0);
      const dup = await gs(
        'add',
        'x',
        '--kind',
        'plug',
        '--adapter',
        'virtual',
        '--power',
        '1kW',
        '--action',
        'turn_off',
      );
      expect(dup.code).toBe(2);
      expect(dup.stderr).toContain('a device named "x" exists already');
      const unknown = await gs('set', 'nope', '--delegated');
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('device "nope" not found');
      expect((await gs('set', 'x')).stderr).toContain('give at least one field to change');
      expect((await gs('remove', 'x')).code).toBe(0);
    },
    60_000,
  );
});
