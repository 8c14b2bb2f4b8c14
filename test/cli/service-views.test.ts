import { describe, expect, it } from 'vitest';
import { accountingLines, dispatchText, eventDetailText, loadDetailLines } from '../../src/cli/load-view.ts';
import { reportLines } from '../../src/cli/report.ts';
import { explainError } from '../../src/cli/scheduler-access.ts';
import { statusLines } from '../../src/cli/status.ts';
import { tokenUseLines } from '../../src/cli/token.ts';
import type {
  Load,
  LoadAccounting,
  LoadDetail,
  LoadEvent,
  Report,
  ReportRow,
  SchedulerStatus,
} from '../../src/client/index.ts';
import { GridshiftApiError } from '../../src/client/index.ts';
import { InputError } from '../../src/core/errors.ts';

/**
 * What the service commands print, from API shapes written out here: the numbers and words are worked
 * out by hand (times in UTC unless a test says otherwise).
 */

const load = (over: Partial<Load> = {}): Load => ({
  id: 'l1',
  name: 'backup',
  tags: [],
  zones: ['DE'],
  cloudRegion: null,
  durationMin: 60,
  powerKw: 2,
  energyKwh: null,
  earliest: '2024-03-27T06:00:00Z',
  deadline: '2024-03-27T18:00:00Z',
  interruptible: false,
  objective: 'carbon',
  carbonCapG: null,
  priority: 0,
  dispatch: { kind: 'shell', command: 'restic backup /srv', timeoutSec: 5400 },
  idempotencyKey: null,
  maxRetries: 2,
  state: 'waiting',
  attempt: 0,
  plan: {
    zone: 'DE',
    runs: [{ start: '2024-03-27T12:00:00Z', end: '2024-03-27T13:00:00Z' }],
    expectedEmissionsG: 480,
    expectedCost: null,
    baselineEmissionsG: 756,
    baselineCost: null,
    currency: null,
  },
  plannedStart: '2024-03-27T12:00:00Z',
  templateId: null,
  lastError: null,
  createdAt: '2024-03-27T06:00:00Z',
  updatedAt: '2024-03-27T06:00:00Z',
  stateChangedAt: '2024-03-27T06:00:00Z',
  startedAt: null,
  finishedAt: null,
  ...over,
});

const event = (to: LoadEvent['to'], detail: Record<string, unknown>, over: Partial<LoadEvent> = {}) =>
  ({ seq: 1, at: '2024-03-27T12:00:00Z', from: null, to, attempt: 0, detail, ...over }) as LoadEvent;

// 2 kWh at 240 g/kWh (480 g) instead of at 378 g/kWh (756 g); 0.50 EUR instead of 0.75 EUR
const accounting: LoadAccounting = {
  energyKwh: 2,
  emissionsG: 480,
  failedEnergyKwh: 0,
  failedEmissionsG: 0,
  baselineEmissionsG: 756,
  savingsG: 276,
  cost: 0.5,
  baselineCost: 0.75,
  currency: 'EUR',
  basis: 'actual',
  source: 'csv',
};

describe('accountingLines', () => {
  it('what the run emitted and cost against running at once, and the share saved', () => {
    // 276 / 756 = 36.51 %; 0.75 - 0.50 = 0.25 EUR
    expect(accountingLines(accounting, 'succeeded')).toEqual([
      'Energy:    2 kWh',
      'Emitted:   480 g CO2eq, cost €0.50',
      'Run now:   756 g CO2eq, cost €0.75',
      'Saved:     276 g CO2eq (36.5%) and €0.25',
      'Basis:     measured values from csv',
    ]);
  });

  it('a load that failed before it succeeded: the share of the failed attempts', () => {
    const lines = accountingLines(
      { ...accounting, failedEnergyKwh: 0.5, failedEmissionsG: 120 },
      'succeeded',
    );
    expect(lines[0]).toBe('Energy:    2 kWh (500 Wh and 120 g CO2eq in failed attempts)');
  });

  it('without prices: no cost; on the forecast: says so', () => {
    const lines = accountingLines(
      { ...accounting, cost: null, baselineCost: null, currency: null, basis: 'forecast', source: 'profile' },
      'succeeded',
    );
    expect(lines[1]).toBe('Emitted:   480 g CO2eq');
    expect(lines[3]).toBe('Saved:     276 g CO2eq (36.5%)');
    expect(lines[4]).toBe('Basis:     the forecast it ran on (no measured values yet) from profile');
  });

  it('a run that saved nothing shows 0, not float noise', () => {
    // a flat grid: the run and running at once differ only by float noise (1.8e-15 g, -6.94e-18 EUR)
    const flat = {
      ...accounting,
      emissionsG: 600,
      baselineEmissionsG: 600 + 1.7763568394002505e-15,
      savingsG: 1.7763568394002505e-15,
      cost: 0.09 + 6.94e-18,
      baselineCost: 0.09,
    };
    expect(accountingLines(flat, 'succeeded')[3]).toBe('Saved:     0 g CO2eq (0%) and €0.00');
  });

  it('a 90-second run is shown as 1m 30s', () => {
    expect(eventDetailText(event('succeeded', { durationMs: 90_000 }), 'UTC')).toBe('ran 1m 30s');
    expect(eventDetailText(event('succeeded', { durationMs: 1_900 }), 'UTC')).toBe('ran 1.9s');
  });

  it('no accounting: why depends on the state (only loads that succeed are accounted)', () => {
    expect(accountingLines(null, 'waiting')).toEqual(['Accounting: not yet (the load has not finished)']);
    expect(accountingLines(null, 'failed')).toEqual(['Accounting: not yet (the load has not finished)']);
    expect(accountingLines(null, 'succeeded')).toEqual([
      'Accounting: not yet (it follows shortly after the run)',
    ]);
    expect(accountingLines(null, 'dead')).toEqual([
      'Accounting: none (the load is dead; only loads that succeed are accounted)',
    ]);
    expect(accountingLines(null, 'cancelled')).toEqual([
      'Accounting: none (the load is cancelled; only loads that succeed are accounted)',
    ]);
  });
});

describe('dispatchText', () => {
  it('a Kubernetes target: its namespace, and its template file and context when given', () => {
    expect(dispatchText({ kind: 'kubernetes', namespace: 'ml-batch', template: {} })).toBe(
      'kubernetes: a Job in namespace ml-batch',
    );
    expect(
      dispatchText({ kind: 'kubernetes', namespace: 'ml', templateFile: 'jobs/train.yaml', context: 'lab' }),
    ).toBe('kubernetes: a Job in namespace ml from jobs/train.yaml (context lab)');
  });
});

describe('eventDetailText', () => {
  it('the Job a Kubernetes attempt ran as, with its exit code', () => {
    expect(
      eventDetailText(event('failed', { ref: 'ml/gridshift-l1-1', exitCode: 2, durationMs: 1500 }), 'UTC'),
    ).toBe('Job ml/gridshift-l1-1; exit code 2; ran 1.5s');
  });

  it('a dead load counts its failures and the retries it was allowed, in the singular too', () => {
    expect(eventDetailText(event('dead', { event: 'dead', failures: 3, maxRetries: 2 }), 'UTC')).toBe(
      '3 failures, 2 retries allowed',
    );
    expect(eventDetailText(event('dead', { event: 'dead', failures: 1, maxRetries: 0 }), 'UTC')).toBe(
      '1 failure, 0 retries allowed',
    );
    expect(eventDetailText(event('dead', { event: 'dead', failures: 2, maxRetries: 1 }), 'UTC')).toBe(
      '2 failures, 1 retry allowed',
    );
    // an entry without the counts says nothing of them (no "undefined failures")
    expect(eventDetailText(event('dead', { event: 'dead' }), 'UTC')).toBe('');
  });

  it('due time in the zone, lateness, exit code, run time, error', () => {
    expect(eventDetailText(event('waiting', { startAfter: '2024-03-27T12:00:00Z' }), 'Europe/Berlin')).toBe(
      'due Wed 2024-03-27 13:00',
    );
    expect(eventDetailText(event('running', { latenessMs: 1500 }), 'UTC')).toBe('1.5s late');
    expect(eventDetailText(event('running', { latenessMs: 400 }), 'UTC')).toBe('on time');
    expect(
      eventDetailText(
        event('failed', {
          exitCode: 3,
          durationMs: 9,
          error: 'exited with code 3',
          event: 'retry',
          delayMs: 30_000,
        }),
        'UTC',
      ),
    ).toBe('exit code 3; ran 9ms; error: exited with code 3; retry after 30s');
  });
});

describe('loadDetailLines', () => {
  it('the load, its plan, its timeline, its output and why it has no accounting', () => {
    const detail: LoadDetail = {
      load: load({ state: 'dead', attempt: 1, lastError: 'exited with code 3', tags: ['nightly'] }),
      events: [
        event('planned', {}, { at: '2024-03-27T06:00:00Z' }),
        event(
          'waiting',
          { startAfter: '2024-03-27T12:00:00Z' },
          { at: '2024-03-27T06:00:00Z', from: 'planned' },
        ),
        event('running', { latenessMs: 2000 }, { from: 'waiting', attempt: 1 }),
        event(
          'failed',
          { exitCode: 3, durationMs: 1200, outputTail: 'line 1\nline 2\n' },
          { from: 'running', attempt: 1, at: '2024-03-27T12:00:01Z' },
        ),
        event(
          'dead',
          { event: 'dead', failures: 1, maxRetries: 0 },
          { from: 'failed', attempt: 1, at: '2024-03-27T12:00:01Z' },
        ),
      ],
      accounting: null,
    };
    expect(loadDetailLines(detail, 'Europe/Berlin')).toEqual([
      'Load l1: backup',
      'State:     dead (attempt 1)',
      'Zones:     DE',
      'Load:      2 kW for 1h, objective carbon',
      'Window:    Wed 2024-03-27 07:00 .. Wed 2024-03-27 19:00 (Europe/Berlin)',
      'Planned:   Wed 2024-03-27 13:00–14:00 in DE',
      'Expected:  480 g (saves 276 g)',
      'Dispatch:  shell: restic backup /srv (timeout 1h 30m)',
      'Tags:      nightly',
      'Error:     exited with code 3',
      '',
      'Timeline:',
      '  Wed 2024-03-27 07:00  planned',
      '  Wed 2024-03-27 07:00  planned -> waiting      due Wed 2024-03-27 13:00',
      '  Wed 2024-03-27 13:00  waiting -> running  #1  2s late',
      '  Wed 2024-03-27 13:00  running -> failed   #1  exit code 3; ran 1.2s',
      '  Wed 2024-03-27 13:00  failed -> dead      #1  1 failure, 0 retries allowed',
      '',
      'Output (last lines):',
      '  line 1',
      '  line 2',
      '',
      'Accounting: none (the load is dead; only loads that succeed are accounted)',
    ]);
  });
});

describe('reportLines', () => {
  const figures = (loads: number, emissionsG: number, baselineEmissionsG: number) => ({
    loads,
    energyKwh: emissionsG / 240,
    emissionsG,
    baselineEmissionsG,
    savingsG: baselineEmissionsG - emissionsG,
    savingsPct: ((baselineEmissionsG - emissionsG) / baselineEmissionsG) * 100,
    cost: null,
    baselineCost: null,
    costSavingsPct: null,
    currency: null,
    forecastBasis: 0,
    failedEnergyKwh: 0,
    failedEmissionsG: 0,
  });

  it('a row per group, a rule, and totals that add up', () => {
    // DE: 480 g instead of 756 g (36.5 %); FR: 24 g instead of 40 g (40 %); together 504 of 796 (36.7 %)
    const rows: ReportRow[] = [
      { key: 'DE', ...figures(1, 480, 756) },
      { key: 'FR', ...figures(2, 24, 40) },
    ];
    const report: Report = {
      query: { groupBy: 'zone' },
      rows,
      totals: { ...figures(3, 504, 796), forecastBasis: 2 },
    };
    const lines = reportLines(report);
    expect(lines[0]).toMatch(
      /^ZONE\s+LOADS\s+ENERGY\s+EMITTED\s+RUN NOW\s+SAVED\s+SAVED %\s+COST\s+COST SAVED %$/,
    );
    expect(lines[2]).toMatch(/^DE\s+1\s+2 kWh\s+480 g\s+756 g\s+276 g\s+36\.5%\s+-\s+-$/);
    expect(lines[3]).toMatch(/^FR\s+2\s+100 Wh\s+24 g\s+40 g\s+16 g\s+40%\s+-\s+-$/);
    expect(lines[4]).toBe(lines[1]);
    expect(lines[5]).toMatch(/^total\s+3\s+2\.1 kWh\s+504 g\s+796 g\s+292 g\s+36\.7%\s+-\s+-$/);
    expect(lines.slice(6)).toEqual([
      '',
      '2 of 3 loads are accounted on the forecast they ran on; measured values replace it once published.',
    ]);
  });

  it('says how much went to failed attempts', () => {
    const totals = { ...figures(3, 504, 796), failedEnergyKwh: 0.25, failedEmissionsG: 60 };
    const lines = reportLines({ query: { groupBy: 'none' }, rows: [], totals });
    expect(lines.slice(-2)).toEqual([
      '',
      'Attempts that failed before one succeeded used 250 Wh and emitted 60 g, counted in the totals above.',
    ]);
  });

  it('nothing ran: a totals row of zeros and a note', () => {
    const empty = {
      ...figures(0, 0, 0),
      energyKwh: null,
      emissionsG: null,
      baselineEmissionsG: null,
      savingsG: null,
      savingsPct: null,
    };
    const lines = reportLines({ query: { groupBy: 'none' }, rows: [], totals: empty });
    expect(lines).toHaveLength(5);
    expect(lines[2]).toMatch(/^total\s+0\s+-\s+-\s+-\s+-\s+-\s+-\s+-$/);
    expect(lines.slice(3)).toEqual(['', 'No load ran in this period.']);
  });
});

describe('statusLines', () => {
  const status: SchedulerStatus = {
    running: true,
    paused: false,
    pausedAt: null,
    pausedReason: null,
    lastPlannerRun: '2024-03-27T06:00:00Z',
    nextPlannerRun: '2024-03-27T06:05:00Z',
    updatedAt: '2024-03-27T06:00:00Z',
    loads: { waiting: 2, cancelled: 1 },
    roles: ['api', 'worker', 'planner'],
  };

  it('a server: its readiness, its roles, the next planner run', () => {
    const lines = statusLines(
      status,
      { kind: 'server', where: 'the server at http://127.0.0.1:8080', store: 'the embedded store in /d' },
      { status: 'not ready', checks: [{ name: 'queue', ok: false, detail: 'stopped' }] },
      'UTC',
    );
    expect(lines.slice(0, 5)).toEqual([
      'Scheduler: running',
      'Store:     the embedded store in /d',
      'Served by: the server at http://127.0.0.1:8080: not ready (queue: stopped)',
      'Roles:     api, worker, planner',
      'Planner:   last run Wed 2024-03-27 06:00, next run Wed 2024-03-27 06:05 (UTC)',
    ]);
    const table = lines.slice(6).join('\n');
    expect(table).toMatch(/^waiting\s+2$/m);
    expect(table).toMatch(/^cancelled\s+1$/m);
    expect(table).toMatch(/^planned\s+0$/m);
  });

  it('the embedded store without a server: not running, and no planner run is due until one runs', () => {
    const embedded = {
      kind: 'embedded',
      where: 'the embedded store in /d',
      store: 'the embedded store in /d',
    } as const;
    const lines = statusLines(status, embedded, undefined, 'UTC');
    expect(lines.slice(0, 4)).toEqual([
      'Scheduler: not running (no `gridshift serve` on this store: nothing is dispatched until one starts)',
      'Store:     the embedded store in /d',
      'Served by: no server: this command reads the store directly',
      'Planner:   last run Wed 2024-03-27 06:00, next run once `gridshift serve` runs (UTC)',
    ]);
    const paused = { ...status, paused: true, pausedAt: '2024-03-27T05:00:00Z', pausedReason: 'maintenance' };
    expect(statusLines(paused, embedded, undefined, 'UTC')[0]).toBe(
      'Scheduler: not running (no `gridshift serve` on this store: nothing is dispatched until one starts); ' +
        'paused since Wed 2024-03-27 05:00 (maintenance)',
    );
  });

  it('PostgreSQL read directly: whether workers run is not visible from here, only the switch', () => {
    const pg = {
      kind: 'postgres',
      where: 'PostgreSQL at postgres://db/x',
      store: 'PostgreSQL at postgres://db/x',
    } as const;
    const lines = statusLines(status, pg, undefined, 'UTC');
    expect(lines[0]).toBe('Scheduler: not paused');
    expect(lines[2]).toMatch(/^Served by: this command reads the database directly; workers are/);
  });
});

describe('tokenUseLines', () => {
  it('against a named server: export GRIDSHIFT_TOKEN', () => {
    expect(
      tokenUseLines('gs_x', { kind: 'server', server: { url: 'https://gs.example', envToken: true } }),
    ).toEqual([
      'Use it: export GRIDSHIFT_TOKEN=gs_x',
      '   or:  curl -H "Authorization: Bearer $GRIDSHIFT_TOKEN" https://gs.example/v1/scheduler',
    ]);
  });

  it('on this machine (the local server, or the store): commands here need none', () => {
    const local = tokenUseLines('gs_x', {
      kind: 'server',
      server: { url: 'http://127.0.0.1:4000', pid: 42, envToken: false },
    });
    expect(local).toEqual([
      'Use it: curl -H "Authorization: Bearer gs_x" http://127.0.0.1:4000/v1/scheduler',
      'gridshift commands on this machine need no token; elsewhere they take it in GRIDSHIFT_TOKEN, with --server URL.',
    ]);
    expect(tokenUseLines('gs_x', { kind: 'embedded' })[0]).toBe(
      'Use it: curl -H "Authorization: Bearer gs_x" http://127.0.0.1:8080/v1/scheduler',
    );
  });
});

describe('explainError', () => {
  const refused = new GridshiftApiError('POST /v1/tokens', {
    type: 'urn:gridshift:problem:forbidden',
    title: 'Forbidden',
    status: 403,
    detail: 'this route needs a token with the admin scope',
  });

  it('a refusal is bad input saying what to set', () => {
    const err = explainError(refused, {
      kind: 'server',
      where: 'the server at http://h:1',
      server: { url: 'http://h:1', envToken: true },
    });
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(
      'the server at http://h:1 refused the request: this route needs a token with the admin scope; set ' +
        'GRIDSHIFT_TOKEN to a token with the needed scope (create one with `gridshift token create`)',
    );
  });

  it('the local server refusing GRIDSHIFT_TOKEN: it replaced the local access', () => {
    const err = explainError(refused, {
      kind: 'server',
      where: 'the server at http://127.0.0.1:1 (process 42)',
      server: { url: 'http://127.0.0.1:1', pid: 42, envToken: true },
    });
    expect((err as Error).message).toBe(
      'the server at http://127.0.0.1:1 (process 42) refused the request: this route needs a token with the ' +
        'admin scope; GRIDSHIFT_TOKEN is set and is sent instead of the local access server.json gives: unset ' +
        'it, or set it to a token with the needed scope',
    );
  });

  it('a server error is not bad input', () => {
    const err = explainError(
      new GridshiftApiError('GET /v1/loads', { type: 'about:blank', title: 'Bad Gateway', status: 502 }),
      { kind: 'server', where: 'the server at http://h:1', server: { url: 'http://h:1', envToken: false } },
    );
    expect(err).not.toBeInstanceOf(InputError);
    expect((err as Error).message).toBe('the server at http://h:1 failed: 502 Bad Gateway: Bad Gateway');
  });
});
