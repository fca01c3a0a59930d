// SQLite is one process's store: two Herald processes on one file would each poll, send and keep their own memory
// of subscriptions. A lock file beside the database (the owner's pid and host) makes the second one refuse to start.
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { hostname } from 'node:os';
import { StoreConfigError } from './errors.js';

export interface ProcessLock {
  release(): void;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by another user
  }
}

/**
 * Takes `<file>.lock` for this process. A lock left by a process that is gone (a crash, a kill -9) is taken over; one
 * held by a live Herald on this host is refused with a StoreConfigError saying what to do.
 */
export function lockStoreFile(file: string): ProcessLock {
  const lockPath = `${file}.lock`;
  mkdirSync(dirname(file), { recursive: true }); // a fresh install has no data/ yet
  const mine = JSON.stringify({ pid: process.pid, host: hostname() });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, mine);
      closeSync(fd);
      return {
        release() {
          try {
            if (readFileSync(lockPath, 'utf8') === mine) unlinkSync(lockPath);
          } catch {
            /* already gone */
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let holder: { pid?: unknown; host?: unknown } = {};
    try {
      holder = JSON.parse(readFileSync(lockPath, 'utf8')) as typeof holder;
    } catch {
      /* unreadable or half written: treated as stale below */
    }
    const pid = typeof holder.pid === 'number' ? holder.pid : null;
    const host = typeof holder.host === 'string' ? holder.host : null;
    if (pid !== null && (host !== hostname() || alive(pid))) {
      throw new StoreConfigError(
        `Another Herald (pid ${pid}${host !== hostname() ? ` on ${host}` : ''}) is already running on ${file}. SQLite is for one Herald process: stop the other one, or move to Redis (STORE_URL=redis://…, see "Scaling out" in the README) to run several. If no Herald is running, delete ${lockPath}.`,
      );
    }
    try {
      unlinkSync(lockPath); // its owner is gone
    } catch {
      /* someone else took it over first: try again */
    }
  }
  throw new StoreConfigError(`Could not take the lock ${lockPath}; check that Herald may write in its folder.`);
}
