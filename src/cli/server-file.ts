/**
 * `server.json` in the data directory: how CLI commands on the same machine find a `gridshift serve`
 * running on the embedded store. The store serves one process, so while the server runs, commands talk
 * to its API instead. The file holds the server's URL and process id, and a token for the local CLI: the
 * file is readable by its owner only, and whoever can read the data directory can read the database in it
 * anyway, so the token grants nothing more than the directory does.
 */
import { chmodSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isProcessAlive } from '../core/pid.ts';

export const SERVER_FILE = 'server.json';
/** The name of the token `gridshift serve` makes for the local CLI (revoked when it stops). */
export const LOCAL_TOKEN_NAME = 'gridshift serve (local CLI)';

export interface ServerFile {
  /** where the API answers, reachable from this machine */
  url: string;
  pid: number;
  startedAt: string;
  version: string;
  /** an admin token for CLI commands on this machine */
  token?: string;
}

export const serverFilePath = (dataDir: string) => join(dataDir, SERVER_FILE);

/** The file's content, or null when there is none or it cannot be read as one. */
export function readServerFile(dataDir: string): ServerFile | null {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(serverFilePath(dataDir), 'utf8'));
  } catch {
    return null;
  }
  const f = raw as Partial<ServerFile>;
  if (typeof f?.url !== 'string' || !Number.isInteger(f.pid)) return null;
  return f as ServerFile;
}

/** The server running on this data directory, or null; a file left by a process that is gone is removed. */
export function liveServer(dataDir: string): ServerFile | null {
  const file = readServerFile(dataDir);
  if (!file) return null;
  if (isProcessAlive(file.pid)) return file;
  try {
    rmSync(serverFilePath(dataDir), { force: true });
  } catch {
    // not ours to remove (a directory of another user, read-only): it is ignored all the same
  }
  return null;
}

/** Writes the file readable by its owner only, in one step (a reader never sees half of it). */
export function writeServerFile(dataDir: string, file: ServerFile): void {
  const path = serverFilePath(dataDir);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** Removes the file if it is this process's (`pid`). */
export function removeServerFile(dataDir: string, pid: number): void {
  if (readServerFile(dataDir)?.pid === pid) rmSync(serverFilePath(dataDir), { force: true });
}
