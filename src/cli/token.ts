/**
 * `gridshift token`: API tokens for HTTP clients. Works on the store directly (the way to make the first
 * admin token, also while no server runs) or through a server's API with an admin token; on a machine
 * where `gridshift serve` runs on the embedded store, through it without further setup.
 */
import { Command } from 'commander';
import type { TokenScope } from '../client/index.ts';
import { InputError } from '../core/errors.ts';
import { TOKEN_SCOPES } from '../store/tokens.ts';
import { type Cli, type GlobalOptions, globalsOf } from './context.ts';
import { formatTable } from './format.ts';
import { when } from './load-view.ts';
import { type AccessOptions, accessOptions, type SchedulerAccess, withAccess } from './scheduler-access.ts';

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function parseScopes(values: string[] | undefined): TokenScope[] {
  const scopes = (values ?? [])
    .flatMap((v) => v.split(','))
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (scopes.length === 0) throw new InputError(`--scope: give one of ${TOKEN_SCOPES.join(', ')}`);
  for (const s of scopes)
    if (!(TOKEN_SCOPES as readonly string[]).includes(s))
      throw new InputError(`--scope: "${s}" is not one of ${TOKEN_SCOPES.join(', ')}`);
  return [...new Set(scopes)] as TokenScope[];
}

async function create(
  cli: Cli,
  opts: AccessOptions & { name: string; scope?: string[] },
  globals: GlobalOptions,
) {
  const scopes = parseScopes(opts.scope);
  if (!opts.name.trim()) throw new InputError('--name: must not be empty');
  await withAccess(cli, globals, opts, async (access) => {
    const { token, secret } = await access.tokens.create({ name: opts.name, scopes });
    if (globals.json) return cli.printJson({ token, secret });
    cli.print(`Created token ${token.id} "${token.name}" with scope ${token.scopes.join(', ')}.`);
    cli.print('Its secret, shown this once (gridshift keeps only a hash of it):');
    cli.print();
    cli.print(`  ${secret}`);
    cli.print();
    for (const line of tokenUseLines(secret, access)) cli.print(line);
  });
}

/**
 * How to use a new token. Against a server named with --server or GRIDSHIFT_SERVER, gridshift commands
 * send GRIDSHIFT_TOKEN; on this machine's own scheduler (its store, or the local server found through
 * server.json) they need none, and setting GRIDSHIFT_TOKEN would replace their local admin access.
 */
export function tokenUseLines(secret: string, access: Pick<SchedulerAccess, 'kind' | 'server'>): string[] {
  const base = access.server?.url ?? 'http://127.0.0.1:8080';
  const curl = (token: string) => `curl -H "Authorization: Bearer ${token}" ${base}/v1/scheduler`;
  if (access.server && access.server.pid === undefined)
    return [`Use it: export GRIDSHIFT_TOKEN=${secret}`, `   or:  ${curl('$GRIDSHIFT_TOKEN')}`];
  return [
    `Use it: ${curl(secret)}`,
    'gridshift commands on this machine need no token; elsewhere they take it in GRIDSHIFT_TOKEN, with --server URL.',
  ];
}

async function list(cli: Cli, opts: AccessOptions & { all?: boolean }, globals: GlobalOptions) {
  await withAccess(cli, globals, opts, async (access) => {
    const { tokens } = await access.tokens.list();
    const shown = opts.all ? tokens : tokens.filter((t) => t.revokedAt === null);
    if (globals.json) return cli.printJson({ tokens: shown });
    if (shown.length === 0) {
      cli.print('No API tokens. Create one: gridshift token create --name NAME --scope read|write|admin');
      return;
    }
    const tz = cli.timeZone(globals);
    const rows = shown.map((t) => [
      t.id,
      t.name,
      t.scopes.join(','),
      when(t.createdAt, tz),
      when(t.lastUsedAt, tz),
      ...(opts.all ? [when(t.revokedAt, tz)] : []),
    ]);
    cli.print(
      formatTable(rows, {
        header: ['ID', 'NAME', 'SCOPES', 'CREATED', 'LAST USED', ...(opts.all ? ['REVOKED'] : [])],
      }),
    );
  });
}

async function revoke(cli: Cli, id: string, opts: AccessOptions, globals: GlobalOptions) {
  await withAccess(cli, globals, opts, async (access) => {
    await access.tokens.revoke(id);
    if (globals.json) return cli.printJson({ revoked: id });
    cli.print(`Revoked token ${id}: it no longer authenticates.`);
  });
}

export function tokenCommand(cli: Cli): Command {
  const token = new Command('token').description(
    'API tokens: create (the secret is shown once), list, revoke',
  );
  token.addCommand(
    accessOptions(
      new Command('create')
        .description('create an API token')
        .requiredOption('--name <name>', 'who or what uses it, e.g. ci, dashboard')
        .option('--scope <scope>', `${TOKEN_SCOPES.join(' | ')} (repeat or comma-separate)`, collect),
    ).action(async (opts: AccessOptions & { name: string; scope?: string[] }, cmd: Command) =>
      create(cli, opts, globalsOf(cmd)),
    ),
  );
  token.addCommand(
    accessOptions(
      new Command('list').description('the live API tokens').option('--all', 'include revoked tokens'),
    ).action(async (opts: AccessOptions & { all?: boolean }, cmd: Command) =>
      list(cli, opts, globalsOf(cmd)),
    ),
  );
  token.addCommand(
    accessOptions(
      new Command('revoke').description('revoke an API token at once').argument('<id>', 'token id'),
    ).action(async (id: string, opts: AccessOptions, cmd: Command) => revoke(cli, id, opts, globalsOf(cmd))),
  );
  return token;
}
