// The seed scenario: follow a feed, subscribe, a matching story arrives, members rate it, the bot restarts.
// It runs on SQLite, and on Postgres and Redis when HERALD_TEST_POSTGRES_URL / HERALD_TEST_REDIS_URL are set.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PermissionFlagsBits } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { startFakeDiscord, type FakeDiscord } from '../harness/fake-discord.js';
import { rssFeed, startFeedServer, type FeedServer } from '../harness/feed-server.js';
import { serverBackends, testPrefix } from '../store/backends.js';

const TOKEN = 'seed-scenario-token';
const GUILD = '100000000000000001';
const NEWS = '200000000000000001';
const ADMIN = '300000000000000001';
const ALICE = '300000000000000002';
const BOB = '300000000000000003';
const CAROL = '300000000000000004';

const oldItems = [
  { title: 'Markets close higher after a quiet week', guid: 'old-1', link: 'https://www.bbc.com/news/old-1', description: 'Stocks rose.', pubDate: 'Mon, 23 Nov 2026 08:00:00 GMT' },
  { title: 'North Korea test-fires missile, says Seoul', guid: 'old-2', link: 'https://www.bbc.com/news/old-2', description: 'An old North Korea story that must not be posted.', pubDate: 'Mon, 23 Nov 2026 09:00:00 GMT' },
];
const story = {
  title: 'North Korea leader meets families of soldiers killed fighting for Russia in Ukraine',
  guid: 'https://www.bbc.com/news/articles/cdj2v7n0101o#0',
  link: 'https://www.bbc.com/news/articles/cdj2v7n0101o?at_medium=RSS&at_campaign=rss',
  description: 'The North Korean leader met the families of soldiers killed fighting for Russia against Ukraine.',
  pubDate: 'Tue, 25 Nov 2026 07:30:00 GMT',
  image: 'https://ichef.bbci.co.uk/news/240/cpsprodpb/abc.jpg',
};
const unrelated = { title: 'Heatwave breaks records across southern Europe', guid: 'new-2', link: 'https://www.bbc.com/news/new-2', description: 'Temperatures passed 45C.', pubDate: 'Tue, 25 Nov 2026 07:45:00 GMT' };

const ratingOf = (embeds: any[]) => embeds[0]?.fields?.find((f: { name: string }) => f.name === 'Rating')?.value as string | undefined;

const backends = [
  { name: 'sqlite', url: 'sqlite' as string | undefined, skipReason: '', cleanup: async (_prefix: string) => undefined },
  ...serverBackends().map((b) => ({ ...b, skipReason: b.skipReason!.replace('store tests', 'seed scenario') })),
];

for (const backend of backends) {
  describe(`seed scenario on ${backend.name}`, () => {
    if (!backend.url) {
      it.skip(backend.skipReason, () => undefined);
      return;
    }
    seedScenario(backend.url === 'sqlite' ? null : backend.url, backend.cleanup);
  });
}

/** The scenario, on `storeUrl` (null: a fresh SQLite file); `cleanup` deletes the keys under its prefix afterwards. */
function seedScenario(storeUrl: string | null, cleanup: (prefix: string) => Promise<void>) {
  let discord: FakeDiscord;
  let feeds: FeedServer;
  let app: App | undefined;
  let dir: string;
  let feedUrl: string;
  const prefix = testPrefix();
  const start = () => startApp({ config: config(), schedulePolling: false, ratingRefreshMs: 20, storeOptions: { prefix } });

  function config() {
    return loadConfig({
      DISCORD_TOKEN: TOKEN,
      DISCORD_API_URL: discord.apiUrl,
      GUILD_ID: GUILD,
      STORE_URL: storeUrl ?? `sqlite://${join(dir, 'herald.sqlite')}`,
      ALLOW_PRIVATE_ADDRESSES: 'true',
      // the stories link to real sites (bbc.com …): never look them up from a test
      FETCH_ARTICLES: 'false',
      LOG_LEVEL: 'silent',
    });
  }

  const run = (userId: string, name: string, options: Record<string, unknown> = {}, subcommand?: string) =>
    discord.runCommand({ guildId: GUILD, channelId: NEWS, userId, name, subcommand, options });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'herald-e2e-'));
    feeds = await startFeedServer();
    feedUrl = feeds.url('/bbc/world.xml');
    feeds.set('/bbc/world.xml', rssFeed({ title: 'BBC News - World', link: 'https://www.bbc.co.uk/news/world', items: oldItems }), { contentType: 'application/rss+xml' });
    discord = await startFakeDiscord({
      token: TOKEN,
      applicationId: '400000000000000001',
      botUserId: '400000000000000002',
      guilds: [
        {
          id: GUILD,
          name: 'Newsroom',
          channels: [{ id: NEWS, name: 'news' }],
          members: [
            { id: ADMIN, username: 'admin', permissions: PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages | PermissionFlagsBits.ManageChannels },
            { id: ALICE, username: 'alice' },
            { id: BOB, username: 'bob' },
            { id: CAROL, username: 'carol' },
          ],
        },
      ],
    });
    app = await start();
  });

  afterAll(async () => {
    await app?.stop();
    await discord?.close();
    await feeds?.close();
    rmSync(dir, { recursive: true, force: true });
    await cleanup(prefix);
  });

  describe('seed scenario', () => {
    it('registers its slash commands in the configured guild', () => {
      const names = discord.registeredCommands(GUILD).map((c) => c.name).sort();
      expect(names).toEqual(expect.arrayContaining(['feed', 'help', 'subscribe', 'subscriptions', 'unsubscribe']));
    });

    it('refuses management commands to a member without Manage Channels, storing nothing', async () => {
      const refusedFeed = await run(ALICE, 'feed', { url: feedUrl }, 'add');
      expect(refusedFeed.ephemeral).toBe(true);
      expect(refusedFeed.content).toMatch(/Manage Channels/);
      const refusedSub = await run(ALICE, 'subscribe', { query: 'North Korea' });
      expect(refusedSub.content).toMatch(/Manage Channels/);
      expect(app!.services.feeds.followedBy(GUILD)).toEqual([]);
      expect(app!.services.subscriptions.listForGuild(GUILD)).toEqual([]);
    });

    it('follows a feed without posting its existing items', async () => {
      const reply = await run(ADMIN, 'feed', { url: feedUrl }, 'add');
      expect(reply.ephemeral).toBe(true);
      expect(reply.content).toContain('Following **BBC News - World**');
      await app!.pollNow();
      expect(discord.messages(NEWS)).toHaveLength(0);
    });

    it('rejects bad input with a reason and stores nothing', async () => {
      expect((await run(ADMIN, 'feed', { url: 'ftp://example.com/feed' }, 'add')).content).toMatch(/http/);
      feeds.set('/not-a-feed.txt', 'just some text, not a feed', { contentType: 'text/plain' });
      expect((await run(ADMIN, 'feed', { url: feeds.url('/not-a-feed.txt') }, 'add')).content).toMatch(/isn't a feed/);
      expect((await run(ADMIN, 'subscribe', { query: '   ' })).content).toMatch(/empty/i);
      expect(app!.services.feeds.followedBy(GUILD)).toEqual([feedUrl]);
      expect(app!.services.subscriptions.listForGuild(GUILD)).toEqual([]);
    });

    it('subscribes the channel', async () => {
      const reply = await run(ADMIN, 'subscribe', { query: 'North Korea' });
      expect(reply.ephemeral).toBe(true);
      expect(reply.content).toMatch(/Subscribed <#200000000000000001> to `North Korea`/);
      const list = await run(ALICE, 'subscriptions', {}, 'list');
      expect(list.content.toLowerCase()).toContain('north korea');
    });

    it('posts exactly one alert for the matching story, clean and safe', async () => {
      feeds.set('/bbc/world.xml', rssFeed({ title: 'BBC News - World', link: 'https://www.bbc.co.uk/news/world', items: [unrelated, story, ...oldItems] }), {
        contentType: 'application/rss+xml',
      });
      const report = await app!.pollNow();
      expect(report.newItems).toBe(2);
      const messages = discord.messages(NEWS);
      expect(messages).toHaveLength(1);
      const [message] = messages;
      const embed = message!.embeds[0];
      expect(embed.url).toBe('https://www.bbc.com/news/articles/cdj2v7n0101o');
      expect(embed.title).toContain('**North Korea**');
      expect(embed.description).toBe('The North Korean leader met the families of soldiers killed fighting for Russia against Ukraine.');
      expect(embed.author.name).toBe('BBC News - World');
      expect(embed.footer.text).toContain('BBC News - World');
      expect(embed.thumbnail.url).toBe(story.image);
      expect(embed.timestamp).toBe('2026-11-25T07:30:00.000Z');
      expect(ratingOf(message!.embeds)).toBe('No ratings yet — react 1️⃣–5️⃣');
      expect(embed.fields.find((f: { name: string }) => f.name === 'Matched').value).toBe('**North Korea**');
      expect(message!.allowedMentions).toEqual({ parse: [] });
    });

    it('counts one vote per member and shows the average', async () => {
      const [message] = discord.messages(NEWS);
      const id = message!.id;
      discord.addReaction({ channelId: NEWS, messageId: id, userId: ALICE, emoji: '4️⃣' });
      discord.addReaction({ channelId: NEWS, messageId: id, userId: BOB, emoji: '5️⃣' });
      await discord.waitForEdit(NEWS, id, (m) => ratingOf(m.embeds) === '★★★★½ 4.5 · 2 votes');
      discord.addReaction({ channelId: NEWS, messageId: id, userId: ALICE, emoji: '2️⃣' });
      await discord.waitForEdit(NEWS, id, (m) => ratingOf(m.embeds) === '★★★½ 3.5 · 2 votes');
      // Taking back the old number changes nothing: the current vote is 2.
      discord.removeReaction({ channelId: NEWS, messageId: id, userId: ALICE, emoji: '4️⃣' });
      await app!.services.ratings.flush();
      expect(ratingOf(discord.messages(NEWS)[0]!.embeds)).toBe('★★★½ 3.5 · 2 votes');
    });

    it('after a restart on the same store: nothing is posted twice and new votes still count', async () => {
      await app!.stop();
      const identifies = discord.identifyCount;
      app = await start();
      expect(discord.identifyCount).toBe(identifies + 1);
      await app.pollNow();
      expect(discord.messages(NEWS)).toHaveLength(1);
      const id = discord.messages(NEWS)[0]!.id;
      discord.addReaction({ channelId: NEWS, messageId: id, userId: CAROL, emoji: '5️⃣' });
      await discord.waitForEdit(NEWS, id, (m) => ratingOf(m.embeds) === '★★★★ 4.0 · 3 votes');
      // Withdrawing a vote updates the line too.
      discord.removeReaction({ channelId: NEWS, messageId: id, userId: CAROL, emoji: '5️⃣' });
      await discord.waitForEdit(NEWS, id, (m) => ratingOf(m.embeds) === '★★★½ 3.5 · 2 votes');
    });

    it('posts a story whose link is over 300 characters (Postgres used to drop its outbox entry)', async () => {
      const longLink = `https://www.bbc.com/news/articles/${'north-korea-and-russia-'.repeat(13)}c0000000001o`;
      expect(longLink.length).toBeGreaterThan(300);
      const long = { title: 'North Korea opens a new border crossing with Russia', guid: 'long-1', link: longLink, description: 'A bridge over the Tumen river.', pubDate: 'Tue, 25 Nov 2026 09:00:00 GMT' };
      feeds.set('/bbc/world.xml', rssFeed({ title: 'BBC News - World', link: 'https://www.bbc.co.uk/news/world', items: [long, unrelated, story, ...oldItems] }), {
        contentType: 'application/rss+xml',
      });
      expect((await app!.pollNow()).newItems).toBe(1);
      const messages = discord.messages(NEWS);
      expect(messages).toHaveLength(2);
      expect(messages[1]!.embeds[0].url).toBe(longLink);
      await app!.pollNow();
      expect(discord.messages(NEWS)).toHaveLength(2);
    });

    it('unsubscribes through autocomplete', async () => {
      const choices = await discord.autocomplete({ guildId: GUILD, channelId: NEWS, userId: ADMIN, name: 'unsubscribe', options: { subscription: '' }, focused: 'subscription' });
      expect(choices).toHaveLength(1);
      expect(choices[0]!.name.toLowerCase()).toContain('north korea');
      const reply = await run(ADMIN, 'unsubscribe', { subscription: choices[0]!.value });
      expect(reply.content).toMatch(/Removed `North Korea`/);
      expect(app!.services.subscriptions.listForGuild(GUILD)).toEqual([]);
    });

    it('replies that storage is unavailable, and stores nothing, when the store fails', async () => {
      await app!.store.close(); // the store is gone from under the running bot
      const reply = await run(ADMIN, 'subscribe', { query: 'Pyongyang' });
      expect(reply.ephemeral).toBe(true);
      expect(reply.content).toMatch(/storage is unavailable/);
      expect(reply.content).toMatch(/Try again/);
      expect(app!.services.subscriptions.listForGuild(GUILD)).toEqual([]);
    });

    it('sent only request bodies Discord accepts, on routes it has', () => {
      expect(discord.problems).toEqual([]);
    });
  });
}
