// PostgreSQL, like SQLite, is one Herald process's store (HERALD_ROLE=all): a second process on the same database
// and STORE_PREFIX would poll and send everything again. The first holds a session advisory lock on a connection of
// its own; PostgreSQL drops it when that connection ends, so a Herald that crashed leaves nothing behind to clear.
import { hostname } from 'node:os';
import { errorText, StoreConfigError, StoreUnavailableError } from './errors.js';

export interface PostgresLock {
  release(): Promise<void>;
}

/** Who holds the lock: the application name its connection gave (Herald's pid and host), when PostgreSQL says. */
const HOLDER = `
WITH k AS (SELECT hashtextextended($1, 0) AS v)
SELECT a.application_name AS name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid, k
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
  AND l.classid::bigint = ((k.v >> 32) & 4294967295) AND l.objid::bigint = (k.v & 4294967295)
LIMIT 1`;

export interface PostgresLockOptions {
  prefix?: string;
  connectTimeoutMs?: number;
  /** The lock's connection dropped: another process may start now (this one keeps trying to take the lock again). */
  onLost?: (error: string) => void;
  /** Taken again after a drop, or not (another Herald holds it now). */
  onRetaken?: (taken: boolean) => void;
  retakeEveryMs?: number;
}

/**
 * Takes the one-process lock of a PostgreSQL store, or throws StoreConfigError naming the Herald that holds it and
 * what to do. A dropped lock connection is reconnected and the lock taken again.
 */
export async function lockPostgresStore(url: string, options: PostgresLockOptions = {}): Promise<PostgresLock> {
  const { default: pg } = await import('pg');
  const key = `herald:${options.prefix ?? ''}`;
  const where = `this PostgreSQL database (STORE_URL${options.prefix ? `, STORE_PREFIX=${options.prefix}` : ''})`;
  let released = false;
  let client: InstanceType<typeof pg.Client> | null = null;
  let retake: NodeJS.Timeout | null = null;

  const take = async (): Promise<boolean> => {
    const next = new pg.Client({ connectionString: url, connectionTimeoutMillis: options.connectTimeoutMs ?? 6_000, application_name: `herald pid ${process.pid} on ${hostname()}`.slice(0, 63) });
    next.on('error', (error) => {
      if (released || client !== next) return;
      client = null;
      void next.end().catch(() => undefined);
      options.onLost?.(errorText(error));
      scheduleRetake();
    });
    await next.connect();
    const { rows } = await next.query('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS taken', [key]);
    if ((rows[0] as { taken?: boolean } | undefined)?.taken) {
      client = next;
      return true;
    }
    const holder = ((await next.query(HOLDER, [key]).catch(() => ({ rows: [] }))).rows[0] as { name?: string } | undefined)?.name;
    await next.end().catch(() => undefined);
    if (released) return false;
    throw new StoreConfigError(
      `Another Herald (${holder || 'another connection'}) is already running on ${where}. PostgreSQL is for one Herald process: stop the other one, or move to Redis (STORE_URL=redis://…, see "Scaling out" in the README) to run several. A second bot on the same database needs its own STORE_PREFIX.`,
    );
  };

  const scheduleRetake = () => {
    if (released || retake) return;
    retake = setTimeout(() => {
      retake = null;
      take().then(
        (taken) => options.onRetaken?.(taken),
        (error: unknown) => (error instanceof StoreConfigError ? options.onRetaken?.(false) : scheduleRetake()), // Postgres still down: later
      );
    }, options.retakeEveryMs ?? 30_000);
    retake.unref();
  };

  try {
    await take();
  } catch (error) {
    if (error instanceof StoreConfigError) throw error;
    throw new StoreUnavailableError(`Cannot reach the store at STORE_URL=${url.replace(/\/\/[^@/]*@/, '//***@')} (${errorText(error)}). Check that the server is running and that STORE_URL is right.`, { cause: error });
  }
  return {
    async release() {
      released = true;
      if (retake) clearTimeout(retake);
      const held = client;
      client = null;
      await held?.end().catch(() => undefined); // ending the session releases the lock
    },
  };
}
