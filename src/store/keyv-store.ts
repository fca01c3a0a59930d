import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Keyv, { type KeyvStoreAdapter } from 'keyv';
import { errorText, StoreConfigError, StoreUnavailableError, withTimeout } from './errors.js';
import { storedKey } from './keys.js';

export { StoreConfigError, StoreUnavailableError } from './errors.js';

/**
 * A typed key → value collection over one keyv namespace. Every operation either does what it says or throws
 * StoreUnavailableError (keyv alone would log nothing and answer `undefined`).
 */
export interface Collection<T> {
  get(key: string): Promise<T | undefined>;
  set(key: string, value: T, ttlMs?: number): Promise<void>;
  /**
   * Stores `value` only when the key holds nothing (or only an expired value), as ONE atomic operation on the
   * backend; true when it was stored. Two processes adding the same key at once: exactly one gets true.
   */
  addIfAbsent(key: string, value: T, ttlMs?: number): Promise<boolean>;
  delete(key: string): Promise<boolean>;
  /** Every live entry. Keys longer than MAX_PLAIN_KEY come back in their stored (hashed) form: read ids from values. */
  entries(): AsyncIterable<[string, T]>;
}

/** Namespaces are letters only: the SQL adapters match namespaces with LIKE, where `_` is a wildcard. */
const NAMESPACE_PATTERN = /^[a-z]{1,24}$/;

export interface KeyvBackendOptions {
  /** Lowercase letters put in front of every namespace, so test runs (or two Herald instances) share one server. */
  prefix?: string;
  /** How long opening waits for the store to answer before giving up. Default 6 s (start fails within 10 s). */
  connectTimeoutMs?: number;
  /** How long one operation may take before it counts as failed. Default 20 s (SQLite waits up to 10 s for a lock). */
  operationTimeoutMs?: number;
}

export interface KeyvBackend {
  /** The collection over one of the namespaces the backend was opened with. */
  collection<T>(namespace: string): Collection<T>;
  /** Deletes entries whose TTL has passed (keyv only checks expiry when a key is read). Returns how many. */
  sweepExpired(): Promise<number>;
  /**
   * Every live entry of a namespace as stored: the stored key (long keys in their hashed form), the value and when it
   * expires (ms since the epoch). Unlike `entries()` it deletes nothing while listing: for copying a store. Redis may
   * list a key twice (SCAN); writing it twice is harmless, counting should dedupe.
   */
  dump(namespace: string): AsyncIterable<StoredEntry>;
  /** Writes an entry as `dump` gave it (its stored key as is, its expiry kept); an expired one is skipped (false). */
  load(namespace: string, entry: StoredEntry): Promise<boolean>;
  /** Deletes every entry of a namespace. */
  clear(namespace: string): Promise<void>;
  close(): Promise<void>;
  /** Where the data lives, for the start-up log line (credentials removed). */
  describe: string;
}

type Adapter = KeyvStoreAdapter | Map<string, unknown>;

export interface StoredEntry {
  key: string;
  value: unknown;
  /** ms since the epoch; undefined: never expires. */
  expires: number | undefined;
}

/** What keyv's adapters don't offer, per backend: each is one statement/command on the adapter's own connection. */
interface Driver {
  makeAdapter(): Promise<Adapter>;
  /** Atomic add-if-absent of an already serialised value under keyv's prefixed key (`namespace:key`). */
  add(adapter: Adapter, namespace: string, prefixedKey: string, serialized: string, ttlMs: number | undefined, nowMs: number): Promise<boolean>;
  /** Deletes the namespace's expired rows; returns how many. */
  sweep(adapter: Adapter, namespace: string, nowMs: number): Promise<number>;
  /** A round trip that proves the store answers (and its table exists). */
  ping(adapter: Adapter): Promise<void>;
  /** Releases what the driver owns beyond the adapters (a connection pool). */
  close(): Promise<void>;
}

type SqlAdapter = { query(sql: string, ...params: unknown[]): Promise<Array<Record<string, unknown>>>; opts: { table: string; schema?: string } };

const DEFAULT_CONNECT_TIMEOUT_MS = 6_000;
const DEFAULT_OPERATION_TIMEOUT_MS = 20_000;

/** True when a keyv-serialised value `{"value":…,"expires":n}` has expired. */
function expiredAt(serialized: unknown, deserialize: (s: string) => unknown, nowMs: number): boolean {
  if (typeof serialized !== 'string') return false;
  const data = deserialize(serialized) as { expires?: unknown } | null;
  return typeof data?.expires === 'number' && data.expires < nowMs;
}

function memoryDriver(deserialize: (s: string) => unknown): Driver {
  return {
    makeAdapter: async () => new Map<string, unknown>(),
    async add(adapter, _namespace, key, serialized, _ttl, nowMs) {
      const map = adapter as Map<string, unknown>;
      // no await between the check and the write: atomic on the event loop
      const existing = map.get(key);
      if (existing !== undefined && !expiredAt(existing, deserialize, nowMs)) return false;
      map.set(key, serialized);
      return true;
    },
    async sweep(adapter, namespace, nowMs) {
      const map = adapter as Map<string, unknown>;
      let removed = 0;
      for (const [key, value] of map) {
        if (key.startsWith(`${namespace}:`) && expiredAt(value, deserialize, nowMs)) {
          map.delete(key);
          removed++;
        }
      }
      return removed;
    },
    ping: async () => undefined,
    close: async () => undefined,
  };
}

async function sqliteDriver(path: string): Promise<Driver> {
  const { default: KeyvSqlite } = await import('@keyv/sqlite');
  const sql = (adapter: Adapter) => adapter as unknown as SqlAdapter;
  return {
    async makeAdapter() {
      const adapter = new KeyvSqlite({ uri: `sqlite://${path}`, busyTimeout: 10_000, iterationLimit: 1000 } as never);
      // WAL lets the per-namespace connections read while another writes.
      if (path !== ':memory:') await sql(adapter as never).query('PRAGMA journal_mode=WAL');
      return adapter as unknown as KeyvStoreAdapter;
    },
    async add(adapter, _namespace, key, serialized, _ttl, nowMs) {
      const { table } = sql(adapter).opts;
      // One statement: insert, or take over the row only when the value there has expired.
      const rows = await sql(adapter).query(
        `INSERT INTO ${table} (key, value) VALUES (?, ?)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value
         WHERE CASE WHEN json_valid(${table}.value) THEN json_extract(${table}.value, '$.expires') END < ?
         RETURNING key`,
        key,
        serialized,
        nowMs,
      );
      return rows.length === 1;
    },
    async sweep(adapter, namespace, nowMs) {
      const { table } = sql(adapter).opts;
      const rows = await sql(adapter).query(
        `DELETE FROM ${table} WHERE key LIKE ? AND CASE WHEN json_valid(value) THEN json_extract(value, '$.expires') END < ? RETURNING 1`,
        `${namespace}:%`,
        nowMs,
      );
      return rows.length;
    },
    async ping(adapter) {
      await sql(adapter).query(`SELECT 1 FROM ${sql(adapter).opts.table} LIMIT 1`);
    },
    close: async () => undefined,
  };
}

async function postgresDriver(url: string, connectTimeoutMs: number): Promise<Driver> {
  const { default: KeyvPostgres } = await import('@keyv/postgres');
  const { default: pg } = await import('pg');
  // Our own pool: the adapter's is a module-wide singleton that the first disconnect ends for every store.
  const pool = new pg.Pool({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs, max: 10 });
  pool.on('error', () => {
    /* an idle connection dropped; the next query reconnects or reports the failure */
  });
  const run = async (text: string, values?: unknown[]) => (await pool.query(text, values)).rows as Array<Record<string, unknown>>;
  const table = (adapter: Adapter) => {
    const { schema, table: name } = (adapter as unknown as SqlAdapter).opts;
    return `${schema}.${name}`;
  };

  class HeraldPostgres extends KeyvPostgres {
    override async connect() {
      return run;
    }
    override async disconnect() {
      /* the pool is closed once, by the driver */
    }
    // The adapter's own iterator reports a failed page as an event and ends early: a silently short list.
    override async *iterator(namespace?: string): AsyncGenerator<[string, string]> {
      const limit = Number(this.opts.iterationLimit) || 1000;
      const pattern = `${namespace ? `${namespace.replace(/[%_\\]/g, '\\$&')}:` : ''}%`;
      let lastKey: string | null = null;
      for (;;) {
        const rows: Array<Record<string, unknown>> =
          lastKey === null
            ? await this.query(`SELECT key, value FROM ${this.opts.schema}.${this.opts.table} WHERE key LIKE $1 ORDER BY key LIMIT $2`, [pattern, limit])
            : await this.query(`SELECT key, value FROM ${this.opts.schema}.${this.opts.table} WHERE key LIKE $1 AND key > $2 ORDER BY key LIMIT $3`, [pattern, lastKey, limit]);
        for (const row of rows) yield [row.key as string, row.value as string];
        if (rows.length < limit) return;
        lastKey = rows[rows.length - 1]!.key as string;
      }
    }
  }

  return {
    makeAdapter: async () => new HeraldPostgres({ uri: url, iterationLimit: 1000 } as never) as unknown as KeyvStoreAdapter,
    async add(adapter, _namespace, key, serialized, _ttl, nowMs) {
      // One statement: insert, or take over the row only when the value there has expired.
      const rows = await run(
        `INSERT INTO ${table(adapter)} AS t (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value
         WHERE substring(t.value from ',"expires":(\\d+)}$')::bigint < $3
         RETURNING key`,
        [key, serialized, nowMs],
      );
      return rows.length === 1;
    },
    async sweep(adapter, namespace, nowMs) {
      const rows = await run(
        `WITH gone AS (DELETE FROM ${table(adapter)} WHERE key LIKE $1 AND substring(value from ',"expires":(\\d+)}$')::bigint < $2 RETURNING 1)
         SELECT count(*)::int AS n FROM gone`,
        [`${namespace}:%`, nowMs],
      );
      return Number(rows[0]?.n ?? 0);
    },
    async ping(adapter) {
      // through the adapter: it waits for its CREATE TABLE, so this also proves the table exists
      await (adapter as unknown as SqlAdapter).query(`SELECT 1 FROM ${table(adapter)} LIMIT 1`);
    },
    close: () => pool.end(),
  };
}

type RedisAdapter = {
  namespace?: string;
  getClient(): Promise<{ set(key: string, value: string, options: object): Promise<string | null>; ping(): Promise<unknown> }>;
  createKeyPrefix(key: string, namespace?: string): string;
};

async function redisDriver(url: string, connectTimeoutMs: number): Promise<Driver> {
  const { default: KeyvRedis } = await import('@keyv/redis');
  const redis = (adapter: Adapter) => adapter as unknown as RedisAdapter;
  return {
    makeAdapter: async () =>
      new KeyvRedis(
        {
          url,
          // Fail fast instead of queueing or reconnecting forever: the next operation connects again, within its timeout.
          disableOfflineQueue: true,
          socket: { connectTimeout: Math.min(connectTimeoutMs, 5_000), reconnectStrategy: (retries: number) => (retries >= 2 ? false : 100 * (retries + 1)) },
        } as never,
        { throwOnConnectError: true, throwOnErrors: true, connectionTimeout: connectTimeoutMs },
      ) as unknown as KeyvStoreAdapter,
    async add(adapter, _namespace, key, serialized, ttlMs) {
      const client = await redis(adapter).getClient();
      const full = redis(adapter).createKeyPrefix(key, redis(adapter).namespace);
      const answer = await client.set(full, serialized, ttlMs ? { NX: true, PX: ttlMs } : { NX: true });
      return answer === 'OK';
    },
    sweep: async () => 0, // Redis expires keys itself (PX)
    async ping(adapter) {
      await (await redis(adapter).getClient()).ping();
    },
    close: async () => undefined,
  };
}

/**
 * Opens the store named by a keyv-style URL: `sqlite://path/file.sqlite` (default), `memory://` (tests),
 * `redis://…` or `postgresql://…`, and checks that it answers. One adapter per namespace, because keyv adapters carry
 * a single namespace; the caller names them (the store knows keys and values, not what they mean). Throws StoreConfigError for a URL Herald can't use and StoreUnavailableError (naming STORE_URL)
 * when the store does not answer within `connectTimeoutMs`.
 */
export async function openKeyvBackend(url: string, namespaces: readonly string[], options: KeyvBackendOptions = {}): Promise<KeyvBackend> {
  for (const name of namespaces) if (!NAMESPACE_PATTERN.test(name)) throw new StoreConfigError(`store namespace "${name}" must be 1 to 24 lowercase letters`);
  const scheme = /^([a-z0-9+]+):\/\//i.exec(url)?.[1]?.toLowerCase();
  const prefix = options.prefix ?? '';
  if (!/^[a-z]{0,24}$/.test(prefix)) throw new StoreConfigError(`store prefix "${prefix}" must be at most 24 lowercase letters`);
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const operationTimeoutMs = options.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS;
  let describe = url.replace(/\/\/[^@/]*@/, '//***@');
  let driver: Driver;

  switch (scheme) {
    case 'memory':
      driver = memoryDriver((s) => new Keyv().deserialize!(s));
      break;
    case 'sqlite': {
      const file = url.slice('sqlite://'.length);
      if (!file) throw new StoreConfigError('STORE_URL "sqlite://" needs a file path, e.g. sqlite://data/herald.sqlite');
      const path = file === ':memory:' ? file : resolve(file);
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      describe = `sqlite://${path}`;
      driver = await sqliteDriver(path);
      break;
    }
    case 'redis':
    case 'rediss':
      driver = await redisDriver(url, connectTimeoutMs);
      break;
    case 'postgres':
    case 'postgresql':
      driver = await postgresDriver(url, connectTimeoutMs);
      break;
    default:
      throw new StoreConfigError(
        `STORE_URL "${describe}" is not supported: use sqlite://path/to/file.sqlite, redis://host:6379 or postgresql://user@host/db`,
      );
  }

  const adapters = new Map<string, Adapter>();
  const keyvs = new Map<string, Keyv>();
  let lastAdapterError: unknown; // the adapter's own reason (ECONNREFUSED...) behind a generic 'not connected'
  let closed = false;
  const closeAll = async () => {
    await Promise.allSettled([...keyvs.values()].map((k) => k.disconnect()));
    await driver.close().catch(() => undefined);
  };
  try {
    await withTimeout(
      (async () => {
        for (const name of namespaces) {
          const adapter = await driver.makeAdapter();
          // throwOnErrors: keyv rethrows what the adapter throws instead of answering undefined / false
          const keyv = new Keyv({ store: adapter, namespace: prefix + name, throwOnErrors: true });
          keyv.on('error', (error: unknown) => {
            // surfaced by the failing call itself; without a listener keyv would throw from an EventEmitter
            lastAdapterError = error;
          });
          adapters.set(name, adapter);
          keyvs.set(name, keyv);
        }
        await Promise.all([...adapters.values()].map((adapter) => driver.ping(adapter)));
      })(),
      connectTimeoutMs,
      () => 'opening the store',
    );
  } catch (error) {
    // bounded: a store that hangs on close must not hold up the error
    await Promise.race([closeAll(), new Promise((r) => setTimeout(r, 1_000).unref())]);
    throw new StoreUnavailableError(
      `Cannot reach the store at STORE_URL=${describe} (${errorText(lastAdapterError ?? error)}). Check that the server is running and that STORE_URL is right.`,
      { cause: error },
    );
  }

  /** Runs one store operation: bounded in time, and any failure becomes a StoreUnavailableError. */
  const run = async <R>(what: string, operation: () => Promise<R>): Promise<R> => {
    // after close, fail instead of letting an adapter quietly reconnect (Redis would) and hold the process open
    if (closed) throw new StoreUnavailableError(`the store at ${describe} is closed (Herald is stopping) and cannot ${what}`);
    try {
      return await withTimeout(operation(), operationTimeoutMs, () => `the store at ${describe} did not ${what}`);
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw error;
      throw new StoreUnavailableError(`the store at ${describe} failed to ${what}: ${errorText(error)}`, { cause: error });
    }
  };

  return {
    describe,
    collection<T>(name: string): Collection<T> {
      const keyv = keyvs.get(name);
      const adapter = adapters.get(name);
      if (!keyv || !adapter) throw new StoreConfigError(`the store was not opened with a "${name}" namespace`);
      const namespace = prefix + name;
      return {
        get: (key) => run(`read ${name}`, () => keyv.get<T>(storedKey(key)) as Promise<T | undefined>),
        set: (key, value, ttlMs) =>
          run(`write ${name}`, async () => {
            await keyv.set(storedKey(key), value, ttlMs);
          }),
        addIfAbsent: (key, value, ttlMs) =>
          run(`write ${name}`, async () => {
            const now = Date.now();
            // serialised exactly as keyv.set would, so keyv.get reads it back
            const serialized = (await keyv.serialize!({ value, expires: ttlMs ? now + ttlMs : undefined })) as string;
            return driver.add(adapter, namespace, `${namespace}:${storedKey(key)}`, serialized, ttlMs || undefined, now);
          }),
        delete: (key) => run(`delete from ${name}`, () => keyv.delete(storedKey(key))),
        entries: () => {
          if (!keyv.iterator) throw new StoreConfigError(`the ${describe} store cannot list its keys`);
          const iterable = keyv.iterator(undefined) as AsyncIterable<[string, T]>;
          return {
            async *[Symbol.asyncIterator]() {
              const it = iterable[Symbol.asyncIterator]();
              for (;;) {
                const step = await run(`list ${name}`, () => it.next());
                if (step.done) return;
                yield step.value;
              }
            },
          };
        },
      };
    },
    dump(name) {
      const keyv = keyvs.get(name);
      const adapter = adapters.get(name);
      if (!keyv || !adapter) throw new StoreConfigError(`the store was not opened with a "${name}" namespace`);
      const namespace = prefix + name;
      const raw: AsyncIterable<[string, unknown]> =
        adapter instanceof Map
          ? (async function* () {
              for (const [key, value] of [...adapter]) if (key.startsWith(`${namespace}:`)) yield [key, value] as [string, unknown];
            })()
          : (adapter as unknown as { iterator(ns: string): AsyncIterable<[string, unknown]> }).iterator(namespace);
      return {
        async *[Symbol.asyncIterator]() {
          const it = raw[Symbol.asyncIterator]();
          for (;;) {
            const step = await run(`list ${name}`, () => it.next());
            if (step.done) return;
            const [fullKey, serialized] = step.value;
            if (typeof serialized !== 'string') continue;
            const data = (await keyv.deserialize!(serialized)) as { value?: unknown; expires?: unknown } | undefined;
            if (!data) continue;
            const expires = typeof data.expires === 'number' ? data.expires : undefined;
            if (expires !== undefined && expires <= Date.now()) continue;
            // SQL adapters list `namespace:key`, Redis's lists the key alone. keyv leaves a key that already begins
            // with `namespace:` unprefixed, so such a row is given back whole (Herald's own keys never begin so).
            const bare = fullKey.startsWith(`${namespace}:`) ? fullKey.slice(namespace.length + 1) : fullKey;
            const key = bare.startsWith(`${namespace}:`) ? fullKey : bare;
            yield { key, value: data.value, expires };
          }
        },
      };
    },
    async load(name, entry) {
      const keyv = keyvs.get(name);
      if (!keyv) throw new StoreConfigError(`the store was not opened with a "${name}" namespace`);
      const ttl = entry.expires === undefined ? undefined : entry.expires - Date.now();
      if (ttl !== undefined && ttl <= 0) return false;
      // a stored key is at most MAX_PLAIN_KEY long, so keyv stores it unchanged: hashed keys stay the same hash
      await run(`write ${name}`, () => keyv.set(entry.key, entry.value, ttl));
      return true;
    },
    async clear(name) {
      const keyv = keyvs.get(name);
      if (!keyv) throw new StoreConfigError(`the store was not opened with a "${name}" namespace`);
      await run(`clear ${name}`, () => keyv.clear());
    },
    async sweepExpired() {
      const now = Date.now();
      let removed = 0;
      for (const name of namespaces) removed += await run(`sweep ${name}`, () => driver.sweep(adapters.get(name)!, prefix + name, now));
      return removed;
    },
    async close() {
      closed = true;
      await closeAll();
    },
  };
}
