import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { DispatchContext } from '../../../src/runner/dispatch/types.ts';

export const T0 = Date.UTC(2025, 3, 1, 2, 0, 0);

export function context(overrides: Partial<DispatchContext> = {}): DispatchContext {
  return {
    loadId: '0196a1b2-c3d4-8e5f-9a0b-1c2d3e4f5a6b',
    attempt: 2,
    name: 'nightly backup',
    plannedStartMs: T0,
    deadlineMs: T0 + 6 * 3_600_000,
    zone: 'DE',
    signal: new AbortController().signal,
    ...overrides,
  };
}

/** The fields a webhook body or an MQTT message carries for `context()`, dispatched at `dispatchedAt`. */
export function contextMessage(dispatchedAt: string): Record<string, unknown> {
  return {
    loadId: '0196a1b2-c3d4-8e5f-9a0b-1c2d3e4f5a6b',
    attempt: 2,
    name: 'nightly backup',
    zone: 'DE',
    plannedStart: '2025-04-01T02:00:00.000Z',
    deadline: '2025-04-01T08:00:00.000Z',
    dispatchedAt,
  };
}

/** A port nothing listens on: bound once, then released. */
export async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

/** Whether a process still runs; a zombie (exited, not yet reaped by its parent) counts as gone. */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the state follows the parenthesised command name
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/**
 * Whether a process is gone, allowing the kernel the moment it takes to finish a killed process: its
 * output pipes close (which ends the dispatch) just before it turns into a zombie.
 */
export async function isGone(pid: number, waitMs = 2_000): Promise<boolean> {
  for (let waited = 0; isRunning(pid) && waited < waitMs; waited += 20) {
    await new Promise((r) => setTimeout(r, 20));
  }
  return !isRunning(pid);
}
