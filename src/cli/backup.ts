// `herald backup <file>`: a consistent snapshot of the SQLite store, safe while Herald runs. Copying the .sqlite file
// alone is not: in WAL mode recent writes live in the -wal file until a checkpoint. VACUUM INTO writes one
// self-contained database file from a single read transaction.
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export const BACKUP_USAGE = `Usage: npm run herald -- backup <file>
  Writes a consistent snapshot of the SQLite store (STORE_URL) to <file>, even while Herald runs. Refuses to
  overwrite an existing file. For Redis or Postgres: copy-store --to sqlite://<file>, or the server's own tools.`;

/** How long the snapshot waits for a writer to let go of the database. */
const BUSY_TIMEOUT_MS = 10_000;

type Database = {
  run(sql: string, params: unknown[], callback: (error: Error | null) => void): void;
  get(sql: string, params: unknown[], callback: (error: Error | null, row: Record<string, unknown> | undefined) => void): void;
  configure(option: 'busyTimeout', value: number): void;
  close(callback: (error: Error | null) => void): void;
};

async function open(path: string, readonly: boolean): Promise<Database> {
  const { default: sqlite3 } = await import('sqlite3');
  return new Promise((resolve, reject) => {
    const db: Database = new sqlite3.Database(path, readonly ? sqlite3.OPEN_READONLY : sqlite3.OPEN_READWRITE, (error: Error | null) => (error ? reject(error) : resolve(db)));
  });
}

const run = (db: Database, sql: string, params: unknown[] = []) => new Promise<void>((resolve, reject) => db.run(sql, params, (e) => (e ? reject(e) : resolve())));
const get = (db: Database, sql: string, params: unknown[] = []) =>
  new Promise<Record<string, unknown> | undefined>((resolve, reject) => db.get(sql, params, (e, row) => (e ? reject(e) : resolve(row))));
const close = (db: Database) => new Promise<void>((resolve) => db.close(() => resolve()));

export interface BackupOptions {
  /** The store to snapshot (STORE_URL). */
  storeUrl: string;
  file: string;
}

/** Runs `herald backup`; returns the exit code. */
export async function runBackup(options: BackupOptions, write: (line: string) => void): Promise<number> {
  const fail = (reason: string) => {
    write(`error: ${reason}`);
    return 1;
  };
  const scheme = /^([a-z0-9+]+):\/\//i.exec(options.storeUrl)?.[1]?.toLowerCase();
  if (scheme !== 'sqlite') {
    return fail(
      `backup snapshots a SQLite store, and STORE_URL is ${scheme ?? options.storeUrl}. Use: npm run herald -- copy-store --from <STORE_URL> --to sqlite://${options.file}, or the server's own backup tools (redis-cli --rdb, pg_dump).`,
    );
  }
  const source = resolve(options.storeUrl.slice('sqlite://'.length));
  const target = resolve(options.file);
  if (!existsSync(source)) return fail(`there is no store at ${source}: check STORE_URL (Herald creates the file at its first start).`);
  if (existsSync(target)) return fail(`${target} already exists; nothing was written. Pick a new file name, or move the old backup away first.`);
  if (!existsSync(dirname(target))) return fail(`the folder ${dirname(target)} does not exist; create it or pick another path.`);

  let db: Database | undefined;
  try {
    db = await open(source, false);
    db.configure('busyTimeout', BUSY_TIMEOUT_MS);
    await run(db, 'VACUUM INTO ?', [target]);
  } catch (error) {
    return fail(`could not snapshot ${source}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    if (db) await close(db);
  }

  // Read the snapshot back: a backup nobody checked is a hope.
  let check: Database | undefined;
  try {
    check = await open(target, true);
    const integrity = await get(check, 'PRAGMA integrity_check');
    const rows = await get(check, 'SELECT count(*) AS n FROM keyv');
    if (integrity?.integrity_check !== 'ok') return fail(`the snapshot ${target} failed its integrity check (${String(integrity?.integrity_check)}); try again.`);
    write(`wrote ${target}: ${Number(rows?.n ?? 0)} entries, ${statSync(target).size} bytes, a consistent snapshot of ${source}.`);
    write(`To restore: stop Herald, then npm run herald -- copy-store --from sqlite://${target} --to <STORE_URL> --force (or put the file in place of ${source} and delete its -wal and -shm files).`);
    return 0;
  } catch (error) {
    return fail(`wrote ${target} but could not read it back: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    if (check) await close(check);
  }
}
