// copy-store between SQLite files, and from SQLite to Redis and Postgres when HERALD_TEST_REDIS_URL /
// HERALD_TEST_POSTGRES_URL are set (each run under its own key prefix, removed afterwards): every namespace, long
// (hashed) keys, expiries kept, expired entries left behind, a non-empty target refused unless --force.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { progressBar, runCopyStore } from '../../src/cli/copy-store.js';
import { openStore, STORE_NAMESPACES, type Store } from '../../src/repositories.js';
import { openKeyvBackend, type StoredEntry } from '../../src/store/store.js';
import { serverBackends, tempDir, testPrefix } from '../store/backends.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

const LONG_KEY = `123456789012345678|${'https://news.example/a-very-long-story-path/'.repeat(8)}`;
const DAY = 24 * 60 * 60_000;

/** One entry in each namespace, a long key, an entry with an expiry and one already expired. */
async function seed(store: Store): Promise<void> {
  await store.feeds.set('https://a.example/rss', { url: 'https://a.example/rss', title: 'A' } as never);
  await store.guildFeeds.set('g1', { follows: ['https://a.example/rss'], droppedDefaults: [] });
  await store.subscriptions.set('s1', { id: 's1', guildId: 'g1', channelId: 'c1', queryText: 'x', canonical: 'x' } as never);
  await store.seen.set('https://a.example/rss', { ids: ['1', '2'], links: [] });
  await store.recent.set('https://a.example/rss', { items: [], fetchedAt: 'now' });
  await store.alerts.set('m1', { messageId: 'm1', votes: { u1: 5 } } as never);
  await store.posted.set(LONG_KEY, 'm1', 30 * DAY);
  await store.posted.set('123456789012345678|short', 'm2', 30 * DAY);
  await store.posted.set('123456789012345678|gone', 'm3', 1);
  await store.outbox.set('o1', { key: 'o1' } as never);
  await store.meta.set('commands:x:global', 'hash');
}

async function dumpAll(url: string, prefix?: string): Promise<Map<string, StoredEntry[]>> {
  const backend = await openKeyvBackend(url, STORE_NAMESPACES, { prefix });
  try {
    const out = new Map<string, StoredEntry[]>();
    for (const ns of STORE_NAMESPACES) {
      const list: StoredEntry[] = [];
      for await (const e of backend.dump(ns)) if (!list.some((x) => x.key === e.key)) list.push(e);
      out.set(ns, list.sort((a, b) => a.key.localeCompare(b.key)));
    }
    return out;
  } finally {
    await backend.close();
  }
}

async function copy(from: string, to: string, extra: { force?: boolean; toPrefix?: string; fromPrefix?: string; tty?: boolean } = {}) {
  const lines: string[] = [];
  const progress: string[] = [];
  const code = await runCopyStore(
    { from, to, force: extra.force, fromOptions: extra.fromPrefix ? { prefix: extra.fromPrefix } : undefined, toOptions: extra.toPrefix ? { prefix: extra.toPrefix } : undefined, progress: { isTTY: extra.tty ?? false, write: (t) => progress.push(t) } },
    (l) => lines.push(l),
  );
  return { code, text: lines.join('\n'), progress: progress.join('') };
}

async function expectSameData(fromUrl: string, toUrl: string, toPrefix?: string) {
  const source = await dumpAll(fromUrl);
  const target = await dumpAll(toUrl, toPrefix);
  for (const ns of STORE_NAMESPACES) {
    const s = source.get(ns)!;
    const t = target.get(ns)!;
    expect(t.map((e) => [e.key, e.value])).toEqual(s.map((e) => [e.key, e.value]));
    for (const [i, e] of s.entries()) {
      if (e.expires === undefined) expect(t[i]!.expires).toBeUndefined();
      // the expiry travels as a time to live: it may land a little later, never earlier and never dropped
      else expect(t[i]!.expires! - e.expires).toBeGreaterThanOrEqual(-1000);
      if (e.expires !== undefined) expect(t[i]!.expires! - e.expires).toBeLessThan(60_000);
    }
  }
  // the long key reads back under its original form on the target
  const store = await openStore(toUrl, { prefix: toPrefix });
  try {
    expect(await store.posted.get(LONG_KEY)).toBe('m1');
    expect(await store.alerts.get('m1')).toEqual({ messageId: 'm1', votes: { u1: 5 } });
    expect(await store.posted.get('123456789012345678|gone')).toBeUndefined();
  } finally {
    await store.close();
  }
}

describe('copy-store SQLite → SQLite', () => {
  const from = `sqlite://${join(tmp.dir, 'from.sqlite')}`;
  const to = `sqlite://${join(tmp.dir, 'to.sqlite')}`;

  it('copies every namespace with keys and expiries, checks counts, prints progress lines off a terminal', async () => {
    const store = await openStore(from);
    await seed(store);
    await store.close();
    await new Promise((r) => setTimeout(r, 5)); // past the 1 ms expiry of posted:gone

    const { code, text, progress } = await copy(from, to);
    expect(code).toBe(0);
    expect(text).toMatch(/✔ posted\s+source 2, copied 2, target 2/);
    expect(text).toMatch(/✔ copied 10 entries/);
    expect(progress).toMatch(/^feed: 1 copied \(1\/10\)$/m);
    expect(progress).not.toContain('\r');
    await expectSameData(from, to);
  });

  it('refuses a target that holds Herald data, and with --force empties it first', async () => {
    const refused = await copy(from, to);
    expect(refused.code).toBe(1);
    expect(refused.text).toMatch(/already holds Herald data \(.*feed.*\); nothing was copied.*--force/);

    const extra = await openStore(to);
    await extra.feeds.set('https://stale.example/rss', { url: 'https://stale.example/rss' } as never);
    await extra.close();
    const forced = await copy(from, to, { force: true, tty: true });
    expect(forced.code).toBe(0);
    expect(forced.text).toMatch(/emptied .*feed.* \(--force\)/);
    expect(forced.progress).toContain(`\r${progressBar(10, 10, 'meta')}`);
    await expectSameData(from, to);
  });

  it('refuses to copy a store onto itself, and names an unreachable store', async () => {
    expect((await copy(from, from)).text).toMatch(/same store/);
    const bad = await copy(from, 'ftp://nowhere');
    expect(bad.code).toBe(1);
    expect(bad.text).toMatch(/^error: .*not supported/);
  });

  it('draws a bar', () => {
    expect(progressBar(5, 10, 'seen')).toBe(`[${'#'.repeat(15)}${'.'.repeat(15)}]  50%  5/10  seen`);
    expect(progressBar(0, 0, 'meta')).toContain('100%');
  });
});

for (const backend of serverBackends()) {
  describe(`copy-store SQLite → ${backend.name}`, () => {
    if (!backend.url) {
      it.skip(backend.skipReason!.replace('store tests', 'copy-store tests'), () => undefined);
      return;
    }
    const url = backend.url;
    const prefix = testPrefix();
    afterAll(() => backend.cleanup(prefix));

    it('copies everything, keys, values and expiries, and the counts match', async () => {
      const from = `sqlite://${join(tmp.dir, `to-${backend.name}.sqlite`)}`;
      const store = await openStore(from);
      await seed(store);
      await store.close();
      await new Promise((r) => setTimeout(r, 5));
      const { code, text } = await copy(from, url, { toPrefix: prefix });
      expect(text).not.toContain('✘');
      expect(code).toBe(0);
      await expectSameData(from, url, prefix);
      const again = await copy(from, url, { toPrefix: prefix });
      expect(again.code).toBe(1);
    });

    it(`and back from ${backend.name} to a new SQLite file`, async () => {
      const back = `sqlite://${join(tmp.dir, `from-${backend.name}.sqlite`)}`;
      const { code } = await copy(url, back, { fromPrefix: prefix });
      expect(code).toBe(0);
      await expectSameData(`sqlite://${join(tmp.dir, `to-${backend.name}.sqlite`)}`, back);
    });
  });
}
