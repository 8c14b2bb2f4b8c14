/**
 * The `gridshift` command: global options, subcommands, and the mapping of failures to exit codes.
 * `runCli(argv, io)` runs it in-process (tests use it); src/cli/main.ts runs it for the real process.
 */
import { Command, CommanderError } from 'commander';
import { InputError } from '../core/errors.ts';
import { unstorableText } from '../core/text.ts';
import { VERSION } from '../core/version.ts';
import { AuditBrokenError, auditCommand } from './audit.ts';
import { type CliIO, createCli } from './context.ts';
import { EXIT, errorText, exitCodeFor, LoadEndedError } from './errors.ts';
import { estimateCommand } from './estimate.ts';
import { homeCommand } from './home.ts';
import { k8sCommand } from './k8s.ts';
import { loadsCommand } from './loads.ts';
import { planCommand } from './plan.ts';
import { reportCommand } from './report.ts';
import { serveCommand } from './serve.ts';
import { signalsCommand } from './signals.ts';
import { simulateCommand } from './simulate.ts';
import { pauseCommand, resumeCommand, statusCommand } from './status.ts';
import { submitCommand } from './submit.ts';
import { tokenCommand } from './token.ts';
import { workerCommand } from './worker.ts';
import { zonesCommand } from './zones.ts';

export function buildProgram(io: CliIO): Command {
  const cli = createCli(io);
  const program = new Command('gridshift')
    .description(
      'Run flexible electrical loads when the grid is cleanest and cheapest, and prove what it saved.',
    )
    .version(VERSION, '-V, --version', 'print the version')
    .option('--json', 'print machine-readable JSON instead of text')
    .option(
      '--config <path>',
      'configuration file (default: GRIDSHIFT_CONFIG or ./gridshift.config.{json,yaml})',
    )
    .option('--now <time>', 'pretend the current time is <time> (what-if runs, reproducible output)')
    .option(
      '--tz <zone>',
      "IANA time zone for reading and showing times (default: the zone's, else the system's)",
    )
    .option('--verbose', 'print stack traces of unexpected errors')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride();
  for (const sub of [
    zonesCommand(cli),
    estimateCommand(cli),
    planCommand(cli),
    signalsCommand(cli),
    simulateCommand(cli),
    homeCommand(cli),
    serveCommand(cli),
    workerCommand(cli),
    submitCommand(cli),
    loadsCommand(cli),
    statusCommand(cli),
    pauseCommand(cli),
    resumeCommand(cli),
    reportCommand(cli),
    tokenCommand(cli),
    auditCommand(cli),
    k8sCommand(cli),
  ]) {
    program.addCommand(sub);
  }
  // subcommands (and theirs: `loads show`, `token create`) inherit the output routing and the exit override
  const inherit = (parent: Command) => {
    for (const sub of parent.commands) {
      sub.configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
      sub.exitOverride();
      sub.showHelpAfterError('(run with --help for usage)');
      inherit(sub);
    }
  };
  inherit(program);
  program.hook('preAction', (_program, action) => refuseUnstorableText(action));
  return program;
}

/**
 * Every flag and argument of the command about to run (and of its parents) must be text the store can
 * hold: a NUL character or a lone surrogate is refused naming the flag, as the API refuses it naming the
 * field, before anything is read or written.
 */
function refuseUnstorableText(action: Command): void {
  for (let cmd: Command | null = action; cmd; cmd = cmd.parent) {
    for (const option of cmd.options) {
      const value: unknown = cmd.getOptionValue(option.attributeName());
      for (const text of [value].flat()) {
        const problem = typeof text === 'string' ? unstorableText(text) : null;
        if (problem) throw new InputError(`${option.long ?? option.flags}: ${problem}`);
      }
    }
  }
  action.args.forEach((text, i) => {
    const problem = unstorableText(text);
    const name = action.registeredArguments[i]?.name() ?? `argument ${i + 1}`;
    if (problem) throw new InputError(`<${name}>: ${problem}`);
  });
}

export function processIO(): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    now: () => Date.now(),
  };
}

/** Runs the CLI on `argv` (the arguments after the program name) and resolves to the exit code. */
export async function runCli(argv: string[], io: CliIO = processIO()): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has printed its message (or the help / version) already
      return err.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    }
    io.stderr.write(`${errorText(err, program.opts().verbose === true)}\n`);
    // a check that found a problem (a broken audit chain, a load that failed for good) has its own code
    if (err instanceof AuditBrokenError || err instanceof LoadEndedError) return err.exitCode;
    return exitCodeFor(err);
  }
}
