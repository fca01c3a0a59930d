// SQLite is one process's store: a second Herald on the same file is refused; a lock left by a dead process is not.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lockStoreFile } from '../../src/store/process-lock.js';
import { StoreConfigError } from '../../src/store/store.js';
import { tempDir } from './backends.js';

const dirs: Array<{ remove: () => void }> = [];
afterEach(() => dirs.splice(0).forEach((d) => d.remove()));

function file(): string {
  const d = tempDir();
  dirs.push(d);
  return join(d.dir, 'herald.sqlite');
}

describe('the SQLite process lock', () => {
  it('refuses a second holder while the first lives, saying what to do; free again once released', () => {
    const db = file();
    const first = lockStoreFile(db);
    expect(() => lockStoreFile(db)).toThrow(StoreConfigError);
    expect(() => lockStoreFile(db)).toThrow(/Another Herald \(pid \d+\) is already running on .*herald\.sqlite.*Redis/);
    first.release();
    expect(existsSync(`${db}.lock`)).toBe(false);
    lockStoreFile(db).release();
  });

  it('makes the folder of a store that does not exist yet (a fresh install has no data/)', () => {
    const db = join(file(), '..', 'data', 'herald.sqlite');
    lockStoreFile(db).release();
  });

  it('takes over a lock whose process is gone (a crash or kill -9) or that cannot be read', () => {
    const db = file();
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(`${db}.lock`, JSON.stringify({ pid: Number(gone.stdout), host: hostname() }));
    lockStoreFile(db).release();
    writeFileSync(`${db}.lock`, '{"pid":');
    lockStoreFile(db).release();
  });
});
