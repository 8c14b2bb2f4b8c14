/**
 * `server.json` in the data directory: how CLI commands on the same machine find a `gridshift serve`
 * running on the embedded store. The store serves one process, so while the server runs, commands talk
 * to its API instead. The file holds the server's URL and process id, and a token for the local CLI: the
 * file is readable by its owner only, and whoever can read the data directory can read the database in it
 * anyway, so the token grants nothing more than the directory does.
 *
 * A server on a data directory other than the default one is found through its record in `servers/` in the
 * default data directory (`<pid>.json`: process id and data directory, no token), so that a command run
 * without `--data-dir` reaches it instead of opening an empty default store.
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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

/** The directory of server records, in the default data directory. */
export const SERVERS_DIR = 'servers';

/** A running server's record in `servers/`: which data directory it serves. */
export interface ServerRecord {
  pid: number;
  dataDir: string;
}

/** A server found through its record: the record, and the data directory's own server.json. */
export interface FoundServer {
  dataDir: string;
  file: ServerFile;
}

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
  // not ours to remove (a directory of another user, read-only): it is ignored all the same
  removeQuietly(serverFilePath(dataDir));
  return null;
}

/**
 * Writes the file readable by its owner only, in one step (a reader never sees half of it), and the
 * server's record in `serversDir`.
 */
export function writeServerFile(dataDir: string, file: ServerFile, serversDir: string): void {
  writeAtomically(serverFilePath(dataDir), `${JSON.stringify(file, null, 2)}\n`);
  const record: ServerRecord = { pid: file.pid, dataDir };
  mkdirSync(serversDir, { recursive: true, mode: 0o700 });
  writeAtomically(join(serversDir, `${file.pid}.json`), `${JSON.stringify(record)}\n`);
}

function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** Removes the file if it is this process's (`pid`), and the process's record in `serversDir`. */
export function removeServerFile(dataDir: string, pid: number, serversDir: string): void {
  if (readServerFile(dataDir)?.pid === pid) rmSync(serverFilePath(dataDir), { force: true });
  rmSync(join(serversDir, `${pid}.json`), { force: true });
}

/**
 * The servers on this machine that have a record in `serversDir`, by data directory. A record is stale when
 * its data directory's server.json does not name its process as live (the process is gone, is stopping, or
 * its id was reused); stale records are removed.
 */
export function recordedServers(serversDir: string): FoundServer[] {
  let names: string[];
  try {
    names = readdirSync(serversDir).filter((n) => /^\d+\.json$/.test(n));
  } catch {
    return [];
  }
  const found: FoundServer[] = [];
  for (const name of names) {
    const path = join(serversDir, name);
    const record = readRecord(path);
    const file = record ? liveServer(record.dataDir) : null;
    if (record && file?.pid === record.pid) found.push({ dataDir: record.dataDir, file });
    else removeQuietly(path);
  }
  return found.sort((a, b) => a.dataDir.localeCompare(b.dataDir));
}

function readRecord(path: string): ServerRecord | null {
  try {
    const r = JSON.parse(readFileSync(path, 'utf8')) as Partial<ServerRecord>;
    return Number.isInteger(r?.pid) && typeof r.dataDir === 'string' ? (r as ServerRecord) : null;
  } catch {
    return null;
  }
}

function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // not ours to remove: it is ignored all the same
  }
}
