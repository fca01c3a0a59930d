// One Herald per PostgreSQL store (HERALD_TEST_POSTGRES_URL): the first holds an advisory lock on a connection of its
// own; a second is refused, told who holds it and what to do; the lock goes with its connection (a crash frees it),
// and a lock whose connection dropped is taken again.
import { afterEach, describe, expect, it } from 'vitest';
import { hostname } from 'node:os';
import { StoreConfigError } from '../../src/store/errors.js';
import { lockPostgresStore, type PostgresLock } from '../../src/store/postgres-lock.js';
import { serverBackends, testPrefix } from './backends.js';

const POSTGRES = serverBackends().find((b) => b.name === 'postgres')!.url;
const held: PostgresLock[] = [];
afterEach(async () => {
  for (const lock of held.splice(0)) await lock.release();
});

describe.skipIf(!POSTGRES)('the one-process lock of a PostgreSQL store', () => {
  it('refuses a second Herald on the same database and prefix, naming the first; another prefix is another store', async () => {
    const prefix = testPrefix();
    held.push(await lockPostgresStore(POSTGRES!, { prefix }));
    const second = lockPostgresStore(POSTGRES!, { prefix });
    await expect(second).rejects.toBeInstanceOf(StoreConfigError);
    await expect(lockPostgresStore(POSTGRES!, { prefix })).rejects.toThrow(
      new RegExp(`Another Herald \\(herald pid ${process.pid} on ${hostname().slice(0, 30)}.*\\) is already running on this PostgreSQL database \\(STORE_URL, STORE_PREFIX=${prefix}\\)\\. PostgreSQL is for one Herald process`),
    );
    held.push(await lockPostgresStore(POSTGRES!, { prefix: testPrefix() }));
  });

  it('is free again once released, or once its connection ends (a crash)', async () => {
    const prefix = testPrefix();
    const first = await lockPostgresStore(POSTGRES!, { prefix });
    await first.release();
    const second = await lockPostgresStore(POSTGRES!, { prefix });
    held.push(second);
    // the holder's session ends as if its process died: PostgreSQL drops the lock with it
    const { default: pg } = await import('pg');
    const admin = new pg.Client({ connectionString: POSTGRES! });
    await admin.connect();
    try {
      const lost: string[] = [];
      const retaken: boolean[] = [];
      const third = await lockPostgresStore(POSTGRES!, { prefix: `${prefix}x`, retakeEveryMs: 50, onLost: (e) => lost.push(e), onRetaken: (t) => retaken.push(t) });
      held.push(third);
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()
           AND pid IN (SELECT l.pid FROM pg_locks l WHERE l.locktype = 'advisory' AND l.objid::bigint = (hashtextextended($2, 0) & 4294967295))`,
        [`herald pid ${process.pid} on ${hostname()}`.slice(0, 63), `herald:${prefix}x`],
      );
      for (let i = 0; i < 200 && retaken.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
      expect(lost).toHaveLength(1);
      expect(retaken).toEqual([true]);
      // held again: a newcomer is refused
      await expect(lockPostgresStore(POSTGRES!, { prefix: `${prefix}x` })).rejects.toBeInstanceOf(StoreConfigError);
    } finally {
      await admin.end();
    }
  });
});

if (!POSTGRES) {
  describe('the one-process lock of a PostgreSQL store', () => {
    it.skip('skipped: set HERALD_TEST_POSTGRES_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)', () => undefined);
  });
}
