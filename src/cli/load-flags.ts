/**
 * The flags that describe a load, shared by `gridshift plan` and `gridshift submit`: they become the same
 * LoadInput the API takes (times read in the home zone's time zone, or --tz, and sent as ISO-8601) and are
 * checked by the API's own schema, so that every door applies one rule. Errors name the flag.
 */
import { InputError } from '../core/errors.ts';
import { parseDuration, parseTime } from '../core/human-time.ts';
import { type LoadInput, parseLoadInput } from '../core/load-input.ts';
import { toIso } from '../core/time.ts';
import { resolveZone } from '../core/zones.ts';
import { parseEnergyKwh, parseMassG, parsePositive, parsePowerKw } from './quantities.ts';

export interface LoadFlags {
  /** --zone and --region values in command-line order: the first is the home zone */
  candidates?: string[];
  zone?: string[];
  duration?: string;
  power?: string;
  energy?: string;
  earliest?: string;
  deadline?: string;
  maxDelay?: string;
  interruptible?: boolean;
  minPiece?: string;
  maxPieces?: string;
  objective?: string;
  carbonCap?: string;
}

/** The flag behind each field of a LoadInput, so that errors name what the user typed. */
const FLAG_OF: Record<string, string> = {
  name: '--name',
  tags: '--tag',
  zones: '--zone',
  region: '--region',
  durationMin: '--duration',
  powerKw: '--power',
  energyKwh: '--energy',
  earliest: '--earliest',
  deadline: '--deadline',
  maxDelayMin: '--max-delay',
  interruptible: '--interruptible',
  minPieceMin: '--min-piece',
  maxPieces: '--max-pieces',
  objective: '--objective',
  carbonCapG: '--carbon-cap',
  priority: '--priority',
  'dispatch.command': '--command',
  'dispatch.cwd': '--cwd',
  'dispatch.env': '--env',
  'dispatch.timeoutSec': '--timeout',
  'dispatch.secretEnv': '--secret-env',
  'dispatch.topic': '--mqtt-topic',
  'dispatch.namespace': '--k8s-namespace',
  'dispatch.template': '--k8s-job',
  'dispatch.kubeconfig': '--kubeconfig',
  'dispatch.context': '--kube-context',
  idempotencyKey: '--idempotency-key',
  maxRetries: '--max-retries',
  'recurrence.cron': '--cron',
  'recurrence.flexMin': '--flex',
  'recurrence.timeZone': '--tz',
};

/** Field names a message may mention in its text; plain words (name, deadline ...) are left as they are. */
const NAMED_IN_TEXT = /\b(durationMin|powerKw|energyKwh|maxDelayMin|minPieceMin|maxPieces|carbonCapG)\b/g;

/**
 * An error about a LoadInput field (`zones[0]: unknown zone`, from the schema, the store or a server's
 * `body.zones[0]: ...`) with the flag named first: `--zone (zones[0]): unknown zone`. Field names in the
 * text become flags too.
 */
export function withFlagNames(message: string, dispatchKind?: string): string {
  const m = /^(?:body\.)?([A-Za-z_][\w.[\]]*): ([\s\S]+)$/.exec(message);
  if (!m) return message;
  const field = m[1];
  const bare = field.replace(/\[\d+\]/g, '');
  let flag = FLAG_OF[bare] ?? FLAG_OF[bare.split('.').slice(0, 2).join('.')];
  if (bare === 'dispatch.url') flag = dispatchKind === 'mqtt' ? '--mqtt-url' : '--webhook';
  const text = m[2].replace(NAMED_IN_TEXT, (name) => FLAG_OF[name]);
  if (!flag) return `${field}: ${text}`;
  // `--deadline (deadline)` says nothing twice: the field is named only when it differs from the flag
  return flag === `--${field}` ? `${flag}: ${text}` : `${flag} (${field}): ${text}`;
}

/** The time zone of the first zone given (for reading times), or an InputError naming the flag. */
export function homeTimeZone(flags: LoadFlags & { region?: string | string[] }): string {
  const regions = [flags.region ?? []].flat();
  const home = flags.candidates?.[0] ?? flags.zone?.[0] ?? regions[0];
  if (home === undefined) {
    throw new InputError(
      'give a zone with --zone (e.g. DE, GB, US-CAL-CISO) or a cloud region with --region (e.g. eu-west-1)',
    );
  }
  try {
    return resolveZone(home).timeZone;
  } catch (err) {
    const flag = regions.includes(home) && !flags.zone?.includes(home) ? '--region' : '--zone';
    throw new InputError(`${flag}: ${(err as Error).message.replace(/^zone: /, '')}`);
  }
}

/** The LoadInput fields of the quantity, time and shape flags (zones, name and dispatch are the caller's). */
export function loadFields(
  flags: LoadFlags,
  at: { nowMs: number; timeZone: string },
): Partial<Record<keyof LoadInput, unknown>> {
  const time = (text: string, what: string) => toIso(parseTime(text, { ...at, what }));
  const durationMin = flags.duration === undefined ? undefined : parseDuration(flags.duration, '--duration');
  if (durationMin !== undefined && !(durationMin > 0))
    throw new InputError(`--duration: must be longer than 0, got "${flags.duration}"`);
  if (flags.deadline !== undefined && flags.maxDelay !== undefined)
    throw new InputError('give --deadline or --max-delay, not both');
  if (!flags.interruptible && (flags.minPiece !== undefined || flags.maxPieces !== undefined))
    throw new InputError('--min-piece and --max-pieces apply only with --interruptible');
  const fields: Partial<Record<keyof LoadInput, unknown>> = {
    durationMin,
    powerKw: flags.power === undefined ? undefined : parsePowerKw(flags.power, '--power'),
    energyKwh: flags.energy === undefined ? undefined : parseEnergyKwh(flags.energy, '--energy'),
    earliest: flags.earliest === undefined ? undefined : time(flags.earliest, '--earliest'),
    deadline: flags.deadline === undefined ? undefined : time(flags.deadline, '--deadline'),
    maxDelayMin: flags.maxDelay === undefined ? undefined : parseDuration(flags.maxDelay, '--max-delay'),
    interruptible: flags.interruptible ? true : undefined,
    minPieceMin: flags.minPiece === undefined ? undefined : parseDuration(flags.minPiece, '--min-piece'),
    maxPieces:
      flags.maxPieces === undefined
        ? undefined
        : parsePositive(flags.maxPieces, '--max-pieces', { integer: true }),
    objective: flags.objective,
    carbonCapG: flags.carbonCap === undefined ? undefined : parseMassG(flags.carbonCap, '--carbon-cap'),
  };
  for (const key of Object.keys(fields) as (keyof LoadInput)[])
    if (fields[key] === undefined) delete fields[key];
  return fields;
}

/** The API's own check of a load the flags describe; its problems name the flag. */
export function checkLoadFlags(raw: Record<string, unknown>): LoadInput {
  try {
    return parseLoadInput(raw);
  } catch (err) {
    const kind = (raw.dispatch as { kind?: string } | undefined)?.kind;
    throw new InputError(withFlagNames((err as Error).message, kind));
  }
}
