// The store backends the tests run on. SQLite and memory always; Postgres and Redis when .ci/run (or you) sets
// HERALD_TEST_POSTGRES_URL / HERALD_TEST_REDIS_URL. A set URL that cannot be reached fails the tests (no silent skip).
// Each run keeps its keys under its own random prefix and deletes them afterwards: test files run in parallel
// processes and CI shares one server.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestBackend {
  name: string;
  /** undefined: not configured here; `skipReason` says which variable to set. */
  url: string | undefined;
  skipReason?: string;
  /** Deletes every key under `prefix` (SQL rows, Redis keys); no-op for file and memory stores. */
  cleanup(prefix: string): Promise<void>;
}

/** A fresh prefix (lowercase letters, as the store requires). */
export function testPrefix(): string {
  return `t${[...randomBytes(8)].map((b) => String.fromCharCode(97 + (b % 26))).join('')}`;
}

/** A temporary directory for SQLite files, removed by the returned function. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'herald-store-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

const noCleanup = async () => undefined;

export function serverBackends(): TestBackend[] {
  const postgres = process.env.HERALD_TEST_POSTGRES_URL || undefined;
  const redis = process.env.HERALD_TEST_REDIS_URL || undefined;
  return [
    {
      name: 'postgres',
      url: postgres,
      skipReason: 'HERALD_TEST_POSTGRES_URL is not set: Postgres store tests skipped',
      async cleanup(prefix) {
        if (!postgres) return;
        const { default: pg } = await import('pg');
        const pool = new pg.Pool({ connectionString: postgres, max: 1 });
        try {
          await pool.query('DELETE FROM public.keyv WHERE key LIKE $1', [`${prefix}%`]);
        } finally {
          await pool.end();
        }
      },
    },
    {
      name: 'redis',
      url: redis,
      skipReason: 'HERALD_TEST_REDIS_URL is not set: Redis store tests skipped',
      async cleanup(prefix) {
        if (!redis) return;
        const { createClient } = await import('@redis/client');
        const client = createClient({ url: redis });
        await client.connect();
        try {
          for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) if (keys.length) await client.del(keys);
        } finally {
          client.destroy();
        }
      },
    },
  ];
}

/** memory, sqlite (in `dir`), and the configured servers. */
export function allBackends(dir: string): TestBackend[] {
  return [
    { name: 'memory', url: 'memory://', cleanup: noCleanup },
    { name: 'sqlite', url: `sqlite://${join(dir, 'herald.sqlite')}`, cleanup: noCleanup },
    ...serverBackends(),
  ];
}
