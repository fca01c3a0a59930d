// Moving a running Herald's data: backup while it posts, copy-store to another SQLite file, to Redis and to Postgres
// (when HERALD_TEST_REDIS_URL / HERALD_TEST_POSTGRES_URL are set), then Herald starts on each copy against the same
// Discord and the same feed: it sends nothing again (not even a resend the nonce would absorb), and still posts a new
// story once.
import { join } from 'node:path';
import { PermissionFlagsBits } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import { runBackup } from '../../src/cli/backup.js';
import { runCopyStore } from '../../src/cli/copy-store.js';
import { loadConfig } from '../../src/config/config.js';
import { openStore } from '../../src/repositories.js';
import { startFakeDiscord, type FakeDiscord } from '../harness/fake-discord.js';
import { rssFeed, startFeedServer, type FeedServer } from '../harness/feed-server.js';
import { serverBackends, tempDir, testPrefix } from '../store/backends.js';

const TOKEN = 'store-move-token';
const GUILD = '150000000000000001';
const ALPHA = '250000000000000001';
const ADMIN = '350000000000000001';

const tmp = tempDir();
let discord: FakeDiscord;
let feeds: FeedServer;
const source = `sqlite://${join(tmp.dir, 'herald.sqlite')}`;

const item = (n: number) => ({ title: `Ferry ${n} sails again on the northern route`, guid: `ferry-${n}`, link: `https://news.example/ferry-${n}`, description: `Ferry ${n}.` });
const publish = (items: ReturnType<typeof item>[]) => feeds.set('/f.xml', rssFeed({ title: 'Ferries', link: 'https://news.example/', items }), { contentType: 'application/rss+xml' });
const config = (storeUrl: string) =>
  loadConfig({ DISCORD_TOKEN: TOKEN, DISCORD_API_URL: discord.apiUrl, GUILD_ID: GUILD, STORE_URL: storeUrl, ALLOW_PRIVATE_ADDRESSES: 'true', LOG_LEVEL: 'silent' });
const sends = () => discord.requests.filter((r) => r.method === 'POST' && r.path === `/channels/${ALPHA}/messages`).length;
const ORIGINAL = [item(1), item(2), item(3), item(0)];
const alerts = () => discord.messages(ALPHA).filter((m) => m.embeds.length > 0);
const run = (name: string, options: Record<string, unknown>, subcommand?: string) =>
  discord.runCommand({ guildId: GUILD, channelId: ALPHA, userId: ADMIN, name, subcommand, options, timeoutMs: 20_000 });

beforeAll(async () => {
  feeds = await startFeedServer();
  discord = await startFakeDiscord({
    token: TOKEN,
    applicationId: '450000000000000001',
    botUserId: '450000000000000002',
    guilds: [{ id: GUILD, name: 'Ports', channels: [{ id: ALPHA, name: 'alpha' }], members: [{ id: ADMIN, username: 'admin', permissions: PermissionFlagsBits.Administrator }] }],
  });
  publish([item(0)]);
  const app = await startApp({ config: config(source), schedulePolling: false, ratingRefreshMs: 10 });
  try {
    expect((await run('feed', { url: feeds.url('/f.xml') }, 'add')).content).toMatch(/Following/);
    expect((await run('subscribe', { query: 'ferry' })).content).toMatch(/Subscribed/);
    publish(ORIGINAL);
    // the backup runs while this poll writes seen-sets, outbox entries, claims and alerts
    const [, backup] = await Promise.all([app.pollNow(), runBackup({ storeUrl: source, file: join(tmp.dir, 'backup.sqlite') }, () => undefined)]);
    expect(backup).toBe(0);
    expect(alerts()).toHaveLength(3);
  } finally {
    await app.stop();
  }
}, 60_000);

afterAll(async () => {
  await discord?.close();
  await feeds?.close();
  tmp.remove();
});

/** Starts Herald on `url`, polls the unchanged feed, then one new story; returns the sends of each step. */
async function startOnCopy(url: string, prefix: string | undefined, fresh: number): Promise<{ resent: number; newStory: number }> {
  const app: App = await startApp({ config: config(url), schedulePolling: false, ratingRefreshMs: 10, storeOptions: { prefix } });
  try {
    publish(ORIGINAL); // the feed as it was when the source store was copied
    const before = sends();
    await app.pollNow();
    const resent = sends() - before;
    publish([item(fresh), ...ORIGINAL]);
    await app.pollNow();
    return { resent, newStory: sends() - before - resent };
  } finally {
    await app.stop();
  }
}

const targets: Array<{ name: string; url: string | undefined; skipReason?: string; cleanup: (prefix: string) => Promise<void> }> = [
  { name: 'sqlite', url: `sqlite://${join(tmp.dir, 'moved.sqlite')}`, cleanup: async () => undefined },
  ...serverBackends(),
];

describe('moving the store', () => {
  it('the backup taken while Herald posted opens as a store with the feed, the subscription and the seen-set', async () => {
    const store = await openStore(`sqlite://${join(tmp.dir, 'backup.sqlite')}`);
    try {
      expect(await store.feeds.get(feeds.url('/f.xml'))).toMatchObject({ url: feeds.url('/f.xml') });
      let subscriptions = 0;
      for await (const _ of store.subscriptions.entries()) subscriptions++;
      expect(subscriptions).toBe(1);
      expect(await store.seen.get(feeds.url('/f.xml'))).toBeDefined();
    } finally {
      await store.close();
    }
  });

  for (const [i, target] of targets.entries()) {
    it.skipIf(!target.url)(`copy-store to ${target.name}${target.url ? '' : ` (${target.skipReason})`}: Herald on the copy sends nothing twice`, async () => {
      const prefix = target.name === 'sqlite' ? undefined : testPrefix();
      try {
        const lines: string[] = [];
        const code = await runCopyStore({ from: source, to: target.url!, toOptions: prefix ? { prefix } : undefined }, (l) => lines.push(l));
        expect(lines.join('\n')).not.toContain('✘');
        expect(code).toBe(0);
        const { resent, newStory } = await startOnCopy(target.url!, prefix, 10 + i);
        expect(resent).toBe(0);
        expect(newStory).toBe(1);
        expect(alerts().filter((m) => m.embeds[0].url === `https://news.example/ferry-${10 + i}`)).toHaveLength(1);
        // each of the first three stories is still in the channel once
        for (const n of [1, 2, 3]) expect(alerts().filter((m) => m.embeds[0].url === `https://news.example/ferry-${n}`)).toHaveLength(1);
      } finally {
        if (prefix) await target.cleanup(prefix);
      }
    }, 60_000);
  }
});
