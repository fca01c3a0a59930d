import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Keyv, { type KeyvStoreAdapter } from 'keyv';

/** A typed key → value collection over one keyv namespace. */
export interface Collection<T> {
  get(key: string): Promise<T | undefined>;
  set(key: string, value: T, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<boolean>;
  entries(): AsyncIterable<[string, T]>;
}

export class StoreConfigError extends Error {
  override name = 'StoreConfigError';
}

/** The namespaces Herald keeps. Letters only: the SQL adapters match namespaces with LIKE, where `_` is a wildcard. */
export const NAMESPACES = ['feed', 'guildfeeds', 'subscription', 'seen', 'recent', 'alert', 'posted', 'outbox'] as const;
export type Namespace = (typeof NAMESPACES)[number];

export interface KeyvBackend {
  collection<T>(namespace: Namespace): Collection<T>;
  close(): Promise<void>;
  /** Where the data lives, for the start-up log line (credentials removed). */
  describe: string;
}

/**
 * Opens the store named by a keyv-style URL: `sqlite://path/file.sqlite` (default), `memory://` (tests),
 * `redis://…` or `postgresql://…`. One adapter per namespace, because keyv adapters carry a single namespace.
 */
export async function openKeyvBackend(url: string): Promise<KeyvBackend> {
  const scheme = /^([a-z0-9+]+):\/\//i.exec(url)?.[1]?.toLowerCase();
  let makeAdapter: () => Promise<KeyvStoreAdapter | Map<string, unknown>>;
  let describe = url.replace(/\/\/[^@/]*@/, '//***@');
  const adapters: Array<KeyvStoreAdapter | Map<string, unknown>> = [];

  switch (scheme) {
    case 'memory':
      makeAdapter = async () => new Map();
      break;
    case 'sqlite': {
      const file = url.slice('sqlite://'.length);
      if (!file) throw new StoreConfigError('STORE_URL "sqlite://" needs a file path, e.g. sqlite://data/herald.sqlite');
      const path = file === ':memory:' ? file : resolve(file);
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      describe = `sqlite://${path}`;
      const { default: KeyvSqlite } = await import('@keyv/sqlite');
      makeAdapter = async () => {
        const adapter = new KeyvSqlite({ uri: `sqlite://${path}`, busyTimeout: 10_000, iterationLimit: 1000 } as never);
        // WAL lets the per-namespace connections read while another writes.
        if (path !== ':memory:') await (adapter as unknown as { query(sql: string): Promise<unknown> }).query('PRAGMA journal_mode=WAL');
        return adapter as unknown as KeyvStoreAdapter;
      };
      break;
    }
    case 'redis':
    case 'rediss': {
      const { default: KeyvRedis } = await import('@keyv/redis');
      makeAdapter = async () => new KeyvRedis(url) as unknown as KeyvStoreAdapter;
      break;
    }
    case 'postgres':
    case 'postgresql': {
      const { default: KeyvPostgres } = await import('@keyv/postgres');
      makeAdapter = async () => new KeyvPostgres({ uri: url, iterationLimit: 1000 } as never) as unknown as KeyvStoreAdapter;
      break;
    }
    default:
      throw new StoreConfigError(
        `STORE_URL "${describe}" is not supported: use sqlite://path/to/file.sqlite, redis://host:6379 or postgresql://user@host/db`,
      );
  }

  const keyvs = new Map<Namespace, Keyv>();
  for (const namespace of NAMESPACES) {
    const adapter = await makeAdapter();
    adapters.push(adapter);
    const keyv = new Keyv({ store: adapter, namespace });
    keyv.on('error', () => {
      /* surfaced by the failing call itself; without a listener keyv would throw from an EventEmitter */
    });
    keyvs.set(namespace, keyv);
  }

  return {
    describe,
    collection<T>(namespace: Namespace): Collection<T> {
      const keyv = keyvs.get(namespace)!;
      return {
        get: (key) => keyv.get<T>(key) as Promise<T | undefined>,
        set: async (key, value, ttlMs) => {
          await keyv.set(key, value, ttlMs);
        },
        delete: (key) => keyv.delete(key),
        entries: () => {
          if (!keyv.iterator) throw new StoreConfigError(`the ${describe} store cannot list its keys`);
          return keyv.iterator(undefined) as AsyncIterable<[string, T]>;
        },
      };
    },
    async close() {
      await Promise.allSettled([...keyvs.values()].map((k) => k.disconnect()));
    },
  };
}
