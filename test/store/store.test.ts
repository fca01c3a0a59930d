// The store on every backend: memory and SQLite always, Postgres and Redis when HERALD_TEST_POSTGRES_URL /
// HERALD_TEST_REDIS_URL are set (.ci/run sets both). Each backend gets its own key prefix and is cleaned up after.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreConfigError, StoreUnavailableError } from '../../src/store/keyv-store.js';
import { storedKey } from '../../src/store/keys.js';
import { openStore, type Store } from '../../src/repositories.js';
import { KeyedLock } from '../../src/store/store.js';
import { allBackends, tempDir, testPrefix } from './backends.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

/** Waits until the clock has passed `ms` from now (for TTLs of a few ms), without asserting on speed. */
async function waitPast(ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() <= until) await new Promise((r) => setTimeout(r, 5));
}

/** A TCP proxy to a real server that the test can cut: the server "goes away" for this store only. */
async function cuttableProxy(host: string, port: number): Promise<{ port: number; cut: () => void }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(port, host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    cut: () => {
      server.close();
      for (const socket of sockets) socket.destroy();
    },
  };
}

async function collect<T>(iterable: AsyncIterable<[string, T]>): Promise<Array<[string, T]>> {
  const out: Array<[string, T]> = [];
  for await (const entry of iterable) out.push(entry);
  return out;
}

for (const backend of allBackends(tmp.dir)) {
  describe(`store on ${backend.name}`, () => {
    if (!backend.url) {
      it.skip(backend.skipReason!, () => undefined);
      return;
    }
    const url = backend.url;
    const prefix = testPrefix();
    let store: Store;
    beforeAll(async () => {
      store = await openStore(url, { prefix });
    });
    afterAll(async () => {
      await store?.close();
      await backend.cleanup(prefix);
    });

    it('keeps namespaces apart and lists only its own keys', async () => {
      await store.seen.set('https://a.example/feed', { ids: ['1'], links: [] });
      await store.posted.set('https://a.example/feed', 'msg-1');
      await store.posted.set('c1|x', 'msg-2');
      expect(await store.seen.get('https://a.example/feed')).toEqual({ ids: ['1'], links: [] });
      expect((await collect(store.posted.entries())).sort()).toEqual([
        ['c1|x', 'msg-2'],
        ['https://a.example/feed', 'msg-1'],
      ]);
      expect(await store.posted.delete('c1|x')).toBe(true);
      expect(await store.posted.get('c1|x')).toBeUndefined();
    });

    it('adds if absent atomically: of concurrent adds (from two connections where the backend has them) exactly one wins', async () => {
      // a second store on the same data: another process, as far as the backend can tell
      const other = backend.name === 'memory' ? store : await openStore(url, { prefix });
      try {
        for (const round of [1, 2, 3]) {
          const key = `c1|link:https://news.example/race-${round}`;
          const results = await Promise.all(
            Array.from({ length: 24 }, (_, i) => (i % 2 ? other : store).outbox.addIfAbsent(key, { writer: i } as never, i % 3 ? 60_000 : undefined)),
          );
          expect(results.filter(Boolean)).toHaveLength(1);
          const winner = results.indexOf(true);
          // written with keyv's own format: keyv's get reads back the winner's value, from either connection
          expect(await store.outbox.get(key)).toEqual({ writer: winner });
          expect(await other.outbox.get(key)).toEqual({ writer: winner });
          expect(await store.outbox.addIfAbsent(key, { writer: -1 } as never)).toBe(false);
        }
      } finally {
        if (other !== store) await other.close();
      }
    });

    it('adds again where the value has expired, and keeps what has not', async () => {
      expect(await store.posted.addIfAbsent('c1|title:expiring', 'old', 1)).toBe(true);
      expect(await store.posted.addIfAbsent('c1|title:lasting', 'kept', 60_000)).toBe(true);
      await waitPast(10);
      expect(await store.posted.addIfAbsent('c1|title:expiring', 'new', 60_000)).toBe(true);
      expect(await store.posted.get('c1|title:expiring')).toBe('new');
      expect(await store.posted.addIfAbsent('c1|title:lasting', 'other', 60_000)).toBe(false);
      expect(await store.posted.get('c1|title:lasting')).toBe('kept');
    });

    it('stores keys of any length (over 300 characters: Postgres used to drop them silently)', async () => {
      const long = (tail: string) => `200000000000000001|link:https://news.example/articles/${'very-long-slug-'.repeat(22)}?utm=${tail}`;
      const a = long('a');
      const b = long('b'); // differs only past the readable head of the stored key
      expect(a.length).toBeGreaterThan(300);
      expect(storedKey(a)).not.toBe(storedKey(b));
      await store.posted.set(a, 'message-a');
      expect(await store.posted.addIfAbsent(b, 'message-b', 60_000)).toBe(true);
      expect(await store.posted.addIfAbsent(b, 'again', 60_000)).toBe(false);
      expect(await store.posted.get(a)).toBe('message-a');
      expect(await store.posted.get(b)).toBe('message-b');
      const entry = { key: a, note: 'an outbox entry under a long key' };
      await store.outbox.set(a, entry as never);
      expect((await collect(store.outbox.entries())).map(([, v]) => v)).toContainEqual(entry);
      expect(await store.posted.delete(a)).toBe(true);
      expect(await store.posted.get(a)).toBeUndefined();
      await store.outbox.delete(a);
    });

    it('sweeps expired entries (keyv only checks expiry on read)', async () => {
      const sweptPrefix = testPrefix();
      const swept = await openStore(url, { prefix: sweptPrefix });
      try {
        await swept.posted.set('gone-1', 'm1', 1);
        await swept.posted.addIfAbsent('gone-2', 'm2', 1);
        await swept.posted.set('later', 'm3', 60 * 60_000);
        await swept.posted.set('forever', 'm4');
        await waitPast(10);
        const removed = await swept.sweepExpired();
        // Redis expires keys itself; the others delete the rows now, so a second sweep finds nothing
        expect(removed).toBe(backend.name === 'redis' ? 0 : 2);
        expect(await swept.sweepExpired()).toBe(0);
        expect(await swept.posted.get('gone-1')).toBeUndefined();
        expect(await swept.posted.get('later')).toBe('m3');
        expect(await swept.posted.get('forever')).toBe('m4');
        expect((await collect(swept.posted.entries())).map(([k]) => k).sort()).toEqual(['forever', 'later']);
      } finally {
        await swept.close();
        await backend.cleanup(sweptPrefix);
      }
    });

    if (backend.name === 'postgres' || backend.name === 'redis') {
      it('throws StoreUnavailableError, instead of answering "nothing there", when its server goes away', async () => {
        const target = new URL(url);
        const proxy = await cuttableProxy(target.hostname, Number(target.port));
        target.port = String(proxy.port);
        const viaProxyPrefix = testPrefix();
        const viaProxy = await openStore(target.toString(), { prefix: viaProxyPrefix, connectTimeoutMs: 5_000, operationTimeoutMs: 10_000 });
        try {
          await viaProxy.subscriptions.set('s1', { id: 's1' } as never);
          expect(await viaProxy.subscriptions.get('s1')).toEqual({ id: 's1' });
          proxy.cut();
          await expect(viaProxy.subscriptions.set('s2', { id: 's2' } as never)).rejects.toThrow(StoreUnavailableError);
          await expect(viaProxy.subscriptions.get('s1')).rejects.toThrow(StoreUnavailableError);
          await expect(viaProxy.outbox.addIfAbsent('k', {} as never)).rejects.toThrow(StoreUnavailableError);
          await expect(collect(viaProxy.subscriptions.entries())).rejects.toThrow(StoreUnavailableError);
        } finally {
          proxy.cut();
          await viaProxy.close();
          await backend.cleanup(viaProxyPrefix);
        }
      });
    }

    it('refuses every operation once closed (no quiet reconnect)', async () => {
      const closing = await openStore(url, { prefix: testPrefix() });
      await closing.close();
      await expect(closing.posted.get('k')).rejects.toThrow(StoreUnavailableError);
      await expect(closing.posted.set('k', 'v')).rejects.toThrow(/closed/);
    });
  });
}

describe('a store that cannot be reached', () => {
  /** A TCP server on 127.0.0.1 that accepts connections and never answers. */
  let silent: Server;
  const sockets = new Set<Socket>();
  let silentPort: number;
  /** A port on 127.0.0.1 where nothing listens. */
  let closedPort: number;
  beforeAll(async () => {
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    silentPort = (silent.address() as { port: number }).port;
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    closedPort = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((r) => silent.close(r));
  });

  it.each([
    ['redis', () => `redis://127.0.0.1:${closedPort}`],
    ['postgres', () => `postgresql://postgres@127.0.0.1:${closedPort}/test`],
  ])('%s refusing connections: start fails with a typed error naming STORE_URL (it used to hang or pretend)', async (_name, url) => {
    const error = await openStore(url(), { connectTimeoutMs: 10_000 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toContain(`STORE_URL=${url().replace('postgres@', '***@')}`);
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
    expect((error as StoreUnavailableError).userMessage).toMatch(/storage is unavailable/);
  });

  it.each([
    ['redis', () => `redis://127.0.0.1:${silentPort}`],
    ['postgres', () => `postgresql://postgres@127.0.0.1:${silentPort}/test`],
  ])('%s never answering: start gives up after the connect timeout with a typed error naming STORE_URL', async (_name, url) => {
    const error = await openStore(url(), { connectTimeoutMs: 300 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(/STORE_URL=/);
  });
});

it('keeps data across a reopen of the same sqlite file', async () => {
  const url = `sqlite://${join(tmp.dir, 'reopen.sqlite')}`;
  const first = await openStore(url);
  await first.posted.set('k', 'v');
  await first.close();
  const second = await openStore(url);
  expect(await second.posted.get('k')).toBe('v');
  await second.close();
});

it('names the variable when the store URL is unsupported', async () => {
  await expect(openStore('ftp://x')).rejects.toThrow(StoreConfigError);
  await expect(openStore('ftp://x')).rejects.toThrow(/STORE_URL/);
});

it('hashes only long keys, deterministically, to at most 200 characters', () => {
  expect(storedKey('c1|link:https://a.example/x')).toBe('c1|link:https://a.example/x');
  const long = `c1|link:https://a.example/${'é'.repeat(400)}`;
  expect(storedKey(long)).toBe(storedKey(long));
  expect(storedKey(long).length).toBeLessThanOrEqual(200);
  expect(storedKey(long)).toMatch(/^c1\|link:https:\/\/a\.example\/é+#sha256:[0-9a-f]{64}$/);
});

it('KeyedLock serialises sections per key', async () => {
  const lock = new KeyedLock();
  let value = 0;
  const bump = () =>
    lock.run('k', async () => {
      const read = value;
      await new Promise((r) => setTimeout(r, 2));
      value = read + 1;
    });
  await Promise.all([bump(), bump(), bump(), bump()]);
  expect(value).toBe(4);
});
