/**
 * `gridshift audit`: the hash-chained decision log. `verify` walks the chain (in the store, through a
 * server, or in an exported file) and names the first entry that was changed, removed or reordered;
 * `export` writes the log as JSON Lines, which verify on their own.
 */

import { once } from 'node:events';
import { createWriteStream, readFileSync, renameSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import type { AuditVerdict } from '../client/index.ts';
import { InputError } from '../core/errors.ts';
import { parseDecisionLine, verifyChain } from '../store/audit.ts';
import { type Cli, type GlobalOptions, globalsOf } from './context.ts';
import { type AccessOptions, accessOptions, withAccess } from './scheduler-access.ts';

/** `audit verify` found the chain broken: exit code 4, distinct from bad input and from failures. */
export class AuditBrokenError extends Error {
  override name = 'AuditBrokenError';
  readonly exitCode = 4;
  readonly brokenSeq: number;
  constructor(brokenSeq: number, message: string) {
    super(message);
    this.brokenSeq = brokenSeq;
  }
}

/** Reads an exported file and verifies its chain; a line that is not an entry is bad input naming it. */
export async function verifyExportFile(path: string): Promise<AuditVerdict> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InputError(
      `${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  const entries = text
    .split('\n')
    .map((line, i) => ({ line: line.trim(), lineNo: i + 1 }))
    .filter((l) => l.line)
    .map((l) => {
      try {
        return parseDecisionLine(l.line, l.lineNo);
      } catch (err) {
        throw new InputError(`${path}: ${(err as Error).message}`);
      }
    });
  return verifyChain(entries);
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function report(cli: Cli, verdict: AuditVerdict, what: string, globals: GlobalOptions): void {
  if (globals.json) cli.printJson(verdict);
  if (verdict.ok) {
    if (!globals.json)
      cli.print(
        verdict.count === 0
          ? `${capitalise(what)} is empty: nothing to verify.`
          : `${capitalise(what)} is intact: ${verdict.count} entries, the last with hash ${verdict.lastHash}.`,
      );
    return;
  }
  throw new AuditBrokenError(
    verdict.brokenSeq,
    `${what} is broken at entry ${verdict.brokenSeq}: ${verdict.problem} ` +
      `(the ${verdict.count} entries before it are intact)`,
  );
}

async function verify(cli: Cli, file: string | undefined, opts: AccessOptions, globals: GlobalOptions) {
  if (file !== undefined) {
    const path = resolve(cli.io.cwd, file);
    return report(cli, await verifyExportFile(path), `the exported decision log ${file}`, globals);
  }
  const verdict = await withAccess(cli, globals, opts, (access) => access.audit.verify());
  report(cli, verdict, 'the decision log', globals);
}

/**
 * The log as JSON Lines to standard output, or to `--out`: written to a temporary file next to it and
 * renamed into place once complete, so a failed export (a server that does not answer, a dropped
 * connection) leaves an earlier file of that name as it was.
 */
async function exportLog(cli: Cli, opts: AccessOptions & { out?: string }, globals: GlobalOptions) {
  const path = opts.out === undefined ? undefined : resolve(cli.io.cwd, opts.out);
  const tmp = path && `${path}.${process.pid}.tmp`;
  const file = tmp ? createWriteStream(tmp, { flags: 'wx' }) : undefined;
  if (file)
    await once(file, 'open').catch((err) => {
      throw new InputError(`--out: cannot write ${opts.out} (${(err as NodeJS.ErrnoException).code ?? err})`);
    });
  let count = 0;
  let complete = false;
  try {
    await withAccess(cli, globals, opts, async (access) => {
      for await (const entry of access.audit.export()) {
        const line = `${JSON.stringify(entry)}\n`;
        if (file) {
          if (!file.write(line)) await once(file, 'drain');
        } else cli.io.stdout.write(line);
        count++;
      }
    });
    complete = true;
  } finally {
    if (file && tmp && path) {
      await new Promise<void>((done) => file.end(done));
      if (complete) renameSync(tmp, path);
      else rmSync(tmp, { force: true });
    }
  }
  if (path)
    cli.io.stderr.write(
      `wrote ${count} entries to ${opts.out}; check it with: gridshift audit verify ${opts.out}\n`,
    );
}

export function auditCommand(cli: Cli): Command {
  const audit = new Command('audit').description('the hash-chained decision log: verify it, export it');
  audit.addCommand(
    accessOptions(
      new Command('verify')
        .description('check the chain; exit 0 when intact, 4 naming the first broken entry')
        .argument('[file]', 'an exported log (JSON Lines) to check instead of the live one'),
    ).action(async (file: string | undefined, opts: AccessOptions, cmd: Command) =>
      verify(cli, file, opts, globalsOf(cmd)),
    ),
  );
  audit.addCommand(
    accessOptions(
      new Command('export')
        .description('write the decision log as JSON Lines, one entry per line with its hashes')
        .option('--out <file>', 'write to this file instead of standard output'),
    ).action(async (opts: AccessOptions & { out?: string }, cmd: Command) =>
      exportLog(cli, opts, globalsOf(cmd)),
    ),
  );
  return audit;
}
