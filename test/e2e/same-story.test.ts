// One post per story across outlets, end to end: two feeds (local feed server) carry the same story under different
// links and slightly different headlines → one message, then edited with an "Also reported by" field naming the second
// outlet; a different North Korea story the same day gets its own message; votes after the edit keep the field.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PermissionFlagsBits } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { startFakeDiscord, type FakeDiscord, type FakeMessage } from '../harness/fake-discord.js';
import { rssFeed, startFeedServer, type FeedServer } from '../harness/feed-server.js';

const TOKEN = 'same-story-token';
const GUILD = '100000000000000011';
const NEWS = '200000000000000011';
const ADMIN = '300000000000000011';
const ALICE = '300000000000000012';

const old = { title: 'Markets close higher after a quiet week', guid: 'old-1', link: 'https://www.bbc.com/news/old-1', description: 'Stocks rose.', pubDate: 'Mon, 23 Nov 2026 08:00:00 GMT' };
const bbcMissile = {
  title: 'North Korea fires ballistic missile into sea, South Korea says',
  guid: 'bbc-missile',
  link: 'https://www.bbc.com/news/articles/c0nk0missile0',
  description: 'The launch is the first this month.',
  pubDate: 'Tue, 25 Nov 2026 07:30:00 GMT',
};
const reutersMissile = {
  title: 'North Korea fires ballistic missile toward East Sea, South Korean military says',
  guid: 'reuters-missile',
  link: 'https://www.reuters.com/world/asia-pacific/north-korea-fires-ballistic-missile-2026-11-25/',
  description: "South Korea's Joint Chiefs of Staff said the missile was fired from near Pyongyang.",
  pubDate: 'Tue, 25 Nov 2026 07:41:00 GMT',
};
const reutersOther = {
  title: 'North Korea leader meets families of soldiers killed fighting for Russia in Ukraine',
  guid: 'reuters-families',
  link: 'https://www.reuters.com/world/asia-pacific/north-korea-leader-families-2026-11-25/',
  description: 'Kim Jong Un met the families of soldiers killed in Russia.',
  pubDate: 'Tue, 25 Nov 2026 09:10:00 GMT',
};

const fieldOf = (m: FakeMessage, name: string) => m.embeds[0]?.fields?.find((f: { name: string }) => f.name === name)?.value as string | undefined;

describe('the same story from two outlets', () => {
  let discord: FakeDiscord;
  let feeds: FeedServer;
  let app: App | undefined;
  let dir: string;
  const bbc = (items: object[]) => feeds.set('/bbc/world.xml', rssFeed({ title: 'BBC News - World', link: 'https://www.bbc.co.uk/news/world', items: items as never }), { contentType: 'application/rss+xml' });
  const reuters = (items: object[]) => feeds.set('/reuters/world.xml', rssFeed({ title: 'Reuters World News', link: 'https://www.reuters.com/world/', items: items as never }), { contentType: 'application/rss+xml' });
  const run = (userId: string, name: string, options: Record<string, unknown> = {}, subcommand?: string) => discord.runCommand({ guildId: GUILD, channelId: NEWS, userId, name, subcommand, options });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'herald-same-story-'));
    feeds = await startFeedServer();
    bbc([old]);
    reuters([]);
    discord = await startFakeDiscord({
      token: TOKEN,
      applicationId: '400000000000000011',
      botUserId: '400000000000000012',
      guilds: [
        {
          id: GUILD,
          name: 'Newsroom',
          channels: [{ id: NEWS, name: 'news' }],
          members: [
            { id: ADMIN, username: 'admin', permissions: PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages | PermissionFlagsBits.ManageChannels },
            { id: ALICE, username: 'alice' },
          ],
        },
      ],
    });
    const config = loadConfig({
      DISCORD_TOKEN: TOKEN,
      DISCORD_API_URL: discord.apiUrl,
      GUILD_ID: GUILD,
      STORE_URL: `sqlite://${join(dir, 'herald.sqlite')}`,
      ALLOW_PRIVATE_ADDRESSES: 'true',
      // the stories link to real sites (bbc.com …): never look them up from a test
      FETCH_ARTICLES: 'false',
      LOG_LEVEL: 'silent',
    });
    expect(config.duplicateWindowHours).toBe(24); // on by default
    app = await startApp({ config, schedulePolling: false, ratingRefreshMs: 20 });
    for (const path of ['/bbc/world.xml', '/reuters/world.xml']) expect((await run(ADMIN, 'feed', { url: feeds.url(path) }, 'add')).content).toMatch(/Following/);
    expect((await run(ADMIN, 'subscribe', { query: 'North Korea' })).content).toMatch(/Subscribed/);
    await app.pollNow();
    expect(discord.messages(NEWS)).toHaveLength(0);
  });

  afterAll(async () => {
    await app?.stop();
    await discord?.close();
    await feeds?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('posts the first outlet\'s alert', async () => {
    bbc([bbcMissile, old]);
    await app!.pollNow();
    const messages = discord.messages(NEWS);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.embeds[0].url).toBe(bbcMissile.link);
    expect(fieldOf(messages[0]!, 'Also reported by')).toBeUndefined();
  });

  it('does not post the second outlet\'s version: it edits the first alert to name that outlet, linked to its article', async () => {
    reuters([reutersMissile]);
    await app!.pollNow();
    const messages = discord.messages(NEWS);
    expect(messages).toHaveLength(1);
    const edited = await discord.waitForEdit(NEWS, messages[0]!.id, (m) => fieldOf(m, 'Also reported by') !== undefined);
    expect(fieldOf(edited, 'Also reported by')).toBe(`[Reuters World News](${reutersMissile.link})`);
    expect(edited.embeds[0].url).toBe(bbcMissile.link);
    expect(fieldOf(edited, 'Rating')).toMatch(/No ratings yet/);
    expect(discord.requests.filter((r) => r.method === 'PATCH' && r.path === `/channels/${NEWS}/messages/${messages[0]!.id}`)).toHaveLength(1);
  });

  it('posts a different North Korea story of the same day as its own message', async () => {
    reuters([reutersOther, reutersMissile]);
    await app!.pollNow();
    const messages = discord.messages(NEWS);
    expect(messages).toHaveLength(2);
    expect(messages[1]!.embeds[0].url).toBe(reutersOther.link);
    expect(fieldOf(messages[1]!, 'Also reported by')).toBeUndefined();
  });

  it('keeps the field when members vote on the edited alert', async () => {
    const first = discord.messages(NEWS)[0]!;
    discord.addReaction({ channelId: NEWS, messageId: first.id, userId: ALICE, emoji: '4️⃣' });
    const voted = await discord.waitForEdit(NEWS, first.id, (m) => fieldOf(m, 'Rating') === '★★★★ 4.0 · 1 vote');
    expect(fieldOf(voted, 'Also reported by')).toBe(`[Reuters World News](${reutersMissile.link})`);
  });

  it('sent only request bodies Discord accepts, on routes it has', () => {
    expect(discord.problems).toEqual([]);
  });
});
