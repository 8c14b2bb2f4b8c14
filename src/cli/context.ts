/**
 * What every command gets: where to write, the environment, the clock, the configuration (read once),
 * and the global options (--json, --config, --now, --tz).
 */
import type { Command } from 'commander';
import type { GridshiftConfig } from '../core/config.ts';
import { assertTimeZone, parseTime, systemTimeZone } from '../core/human-time.ts';
import { loadConfig } from '../signals/config.ts';
import { type Palette, palette, shouldUseColor } from './format.ts';

export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface CliIO {
  stdout: Output;
  stderr: Output;
  env: Record<string, string | undefined>;
  cwd: string;
  /** the current instant; tests pass a fixed one */
  now: () => number;
}

export interface GlobalOptions {
  json?: boolean;
  config?: string;
  /** pretend the current time is this */
  now?: string;
  tz?: string;
  verbose?: boolean;
}

export interface Cli {
  io: CliIO;
  /** colour on stdout (TTY, no NO_COLOR) */
  color: boolean;
  paint: Palette;
  print(text?: string): void;
  printJson(value: unknown): void;
  /** the configuration, read on first use (--config, GRIDSHIFT_CONFIG, or the file in the working directory) */
  config(globals: GlobalOptions): GridshiftConfig;
  /** the current instant: --now if given, else the clock */
  nowMs(globals: GlobalOptions): number;
  /** --tz if given (validated), else `fallback`, else the system's */
  timeZone(globals: GlobalOptions, fallback?: string): string;
}

export function createCli(io: CliIO): Cli {
  const color = shouldUseColor(io.stdout, io.env);
  let config: GridshiftConfig | undefined;
  return {
    io,
    color,
    paint: palette(color),
    print(text = '') {
      io.stdout.write(`${text}\n`);
    },
    printJson(value) {
      io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
    config(globals) {
      config ??= loadConfig({ cwd: io.cwd, env: io.env, path: globals.config });
      return config;
    },
    nowMs(globals) {
      const clock = io.now();
      if (!globals.now) return clock;
      const tz = globals.tz ? assertTimeZone(globals.tz, '--tz') : 'UTC';
      return parseTime(globals.now, { nowMs: clock, timeZone: tz, what: '--now' });
    },
    timeZone(globals, fallback) {
      if (globals.tz) return assertTimeZone(globals.tz, '--tz');
      return fallback ?? systemTimeZone();
    },
  };
}

/** The global options as seen from a subcommand. */
export function globalsOf(command: Command): GlobalOptions {
  return command.optsWithGlobals() as GlobalOptions;
}
