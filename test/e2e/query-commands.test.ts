// /preview and /why against the fake Discord, plus query errors at /subscribe.
import { PermissionFlagsBits } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { startFakeDiscord, type FakeDiscord } from '../harness/fake-discord.js';
import { rssFeed, startFeedServer, type FeedServer } from '../harness/feed-server.js';

const TOKEN = 'query-commands-token';
const GUILD = '120000000000000001';
const DESK = '220000000000000001';
const OTHER = '220000000000000002';
const ADMIN = '320000000000000001';
const READER = '320000000000000002';

const items = [
  { title: 'Ukraine shoots down drone swarm over Kyiv', guid: 'u1', link: 'https://news.example/ukraine-drones?utm_source=rss', description: 'Air defences were busy overnight.', pubDate: 'Tue, 25 Nov 2026 06:00:00 GMT' },
  { title: 'Ukraine beat Italy in football qualifier', guid: 'u2', link: 'https://news.example/ukraine-football', description: 'A drone filmed the celebrations.', pubDate: 'Tue, 25 Nov 2026 05:00:00 GMT' },
  { title: 'Markets rally on rate hopes', guid: 'm1', link: 'https://news.example/markets', description: 'Stocks rose.', pubDate: 'Tue, 25 Nov 2026 04:00:00 GMT' },
];

let discord: FakeDiscord;
let feeds: FeedServer;
let app: App;
const run = (userId: string, name: string, options: Record<string, unknown>, channelId = DESK, subcommand?: string) =>
  discord.runCommand({ guildId: GUILD, channelId, userId, name, options, subcommand });

beforeAll(async () => {
  feeds = await startFeedServer();
  feeds.set('/world.xml', rssFeed({ title: 'World Desk', link: 'https://news.example/', items }), { contentType: 'application/rss+xml' });
  feeds.set('/unfollowed.xml', rssFeed({ title: 'Sports Only', link: 'https://sports.example/', items: [{ title: 'Cup final tonight', guid: 's1', link: 'https://sports.example/final', description: 'Big game.' }] }), { contentType: 'application/rss+xml' });
  discord = await startFakeDiscord({
    token: TOKEN,
    applicationId: '420000000000000001',
    botUserId: '420000000000000002',
    guilds: [
      { id: GUILD, name: 'Desk', channels: [{ id: DESK, name: 'desk' }, { id: OTHER, name: 'other' }], members: [{ id: ADMIN, username: 'admin', permissions: PermissionFlagsBits.Administrator }, { id: READER, username: 'reader' }] },
      { id: '120000000000000002', name: 'Elsewhere', channels: [{ id: '220000000000000009', name: 'x' }], members: [{ id: ADMIN, username: 'admin', permissions: PermissionFlagsBits.Administrator }] },
    ],
  });
  const config = loadConfig({ DISCORD_TOKEN: TOKEN, DISCORD_API_URL: discord.apiUrl, GUILD_ID: GUILD, STORE_URL: 'memory://', ALLOW_PRIVATE_ADDRESSES: 'true', LOG_LEVEL: 'silent' });
  app = await startApp({ config, schedulePolling: false });
  expect((await run(ADMIN, 'feed', { url: feeds.url('/world.xml') }, DESK, 'add')).content).toMatch(/Following/);
  // Another server follows a feed this one doesn't.
  expect((await discord.runCommand({ guildId: '120000000000000002', channelId: '220000000000000009', userId: ADMIN, name: 'feed', subcommand: 'add', options: { url: feeds.url('/unfollowed.xml') } })).content).toMatch(/Following/);
});

afterAll(async () => {
  await app?.stop();
  await discord?.close();
  await feeds?.close();
});

describe('/preview', () => {
  it('shows the canonical form and what the query would have matched, to anyone', async () => {
    const reply = await run(READER, 'preview', { query: 'ukraine +drone -football' });
    expect(reply.ephemeral).toBe(true);
    expect(reply.content).toContain('Ukraine shoots down drone swarm');
    expect(reply.content).not.toContain('football qualifier');
    expect(reply.content).toMatch(/would have matched 1 of the last 3 items/);
    expect(reply.content).toContain('<https://news.example/ukraine-drones>');
  });

  it('says plainly when nothing matched', async () => {
    const reply = await run(READER, 'preview', { query: 'North Korea' });
    expect(reply.content).toMatch(/matches nothing in the last 3 items/);
  });

  it('points at the error in a malformed query', async () => {
    const reply = await run(READER, 'preview', { query: 'ukraine "drone' });
    expect(reply.content).toMatch(/doesn't parse: .*quote/i);
    expect(reply.content).toMatch(/\^/);
  });
});

describe('/subscribe with a malformed query', () => {
  it('shows the position and stores nothing', async () => {
    const reply = await run(ADMIN, 'subscribe', { query: 'ukraine -' });
    expect(reply.content).toMatch(/-/);
    expect(reply.content).toMatch(/\d/);
    expect(app.services.subscriptions.listForGuild(GUILD)).toEqual([]);
  });
});

describe('a misspelled field', () => {
  it('is refused at /subscribe and /preview with the scope it likely means, and nothing is stored', async () => {
    const subscribe = await run(ADMIN, 'subscribe', { query: 'titel:Trump' });
    expect(subscribe.content).toBe('unknown field `titel:` at 0, did you mean `title:`? Write title:Trump; to search the words as written, quote them: "titel:Trump"');
    expect(app.services.subscriptions.listForGuild(GUILD)).toEqual([]);
    const preview = await run(READER, 'preview', { query: 'ukraine +sumary:drone' });
    expect(preview.content).toBe("That query doesn't parse: unknown field `sumary:` at 9, did you mean `summary:`? Write summary:drone; to search the words as written, quote them: \"sumary:drone\"\n```\nukraine +sumary:drone\n         ^\n```");
  });
});

describe('/why', () => {
  beforeAll(async () => {
    expect((await run(ADMIN, 'subscribe', { query: 'ukraine -football' })).content).toMatch(/Subscribed/);
    expect((await run(ADMIN, 'subscribe', { query: 'title:drone' })).content).toMatch(/Subscribed/);
  });

  it('explains an excluded story subscription by subscription', async () => {
    const reply = await run(READER, 'why', { url: 'https://news.example/ukraine-football' });
    expect(reply.content).toMatch(/not posted here/);
    expect(reply.content).toMatch(/✗ `ukraine -football` — excluded by -football/);
    expect(reply.content).toMatch(/✗ `title:drone` — "drone" only in summary but scoped to title:/);
  });

  it('explains a matching story that was already in the feed', async () => {
    const reply = await run(READER, 'why', { url: 'https://news.example/ukraine-drones?utm_medium=x' });
    expect(reply.content).toMatch(/✓ `ukraine -football` — matched/);
    expect(reply.content).toMatch(/already in the feed|before this subscription/);
  });

  it('links the alert when the story was posted here', async () => {
    feeds.set('/world.xml', rssFeed({ title: 'World Desk', link: 'https://news.example/', items: [{ title: 'Ukraine drone strikes refinery', guid: 'u3', link: 'https://news.example/refinery', description: 'Fire seen.' }, ...items] }), { contentType: 'application/rss+xml' });
    await app.pollNow();
    expect(discord.messages(DESK)).toHaveLength(1);
    const reply = await run(READER, 'why', { url: 'https://news.example/refinery' });
    expect(reply.content).toContain(`posted here (matched`);
    expect(reply.content).toContain(`/channels/${GUILD}/${DESK}/${discord.messages(DESK)[0]!.id}`);
  });

  it("says only that this server's feeds don't have a story, wherever else it is", async () => {
    // another server follows the feed with this story: nothing about it may show here
    const elsewhere = (await run(READER, 'why', { url: 'https://sports.example/final' })).content;
    expect(elsewhere).toMatch(/hasn't seen that story in the latest items of this server's 1 feed/);
    expect(elsewhere).not.toMatch(/Sports Only|unfollowed\.xml|doesn't follow/);
    expect((await run(READER, 'why', { url: 'https://nowhere.example/story' })).content).toMatch(/hasn't seen that story/);
    expect((await run(READER, 'why', { url: 'not a link' })).content).toMatch(/not an article link/);
  });

  it('sent only valid requests', () => {
    expect(discord.problems).toEqual([]);
  });
});

// Finding 9 of issue 8: /why, /preview and autocomplete see only this server's feeds and subscriptions.
describe('guild isolation', () => {
  const B = '120000000000000002';
  const B_CHANNEL = '220000000000000009';
  const PRIVATE_PATH = '/private.xml?token=secret';
  let privateUrl: string;
  beforeAll(async () => {
    feeds.set(PRIVATE_PATH, rssFeed({ title: 'Insider Briefing', link: 'https://private.example/', items: [{ title: 'Merger talks leak', guid: 'p1', link: 'https://private.example/scoop', description: 'Board meets Friday.' }] }), { contentType: 'application/rss+xml' });
    privateUrl = feeds.url(PRIVATE_PATH);
    const inB = (name: string, options: Record<string, unknown>, subcommand?: string) => discord.runCommand({ guildId: B, channelId: B_CHANNEL, userId: ADMIN, name, options, subcommand });
    expect((await inB('feed', { url: privateUrl }, 'add')).content).toMatch(/Following/);
    expect((await inB('subscribe', { query: 'merger talks' })).content).toMatch(/Subscribed/);
  });

  it("/why in server A about a story only server B's private feed has reveals neither its URL, token nor title", async () => {
    const reply = (await run(READER, 'why', { url: 'https://private.example/scoop' })).content;
    expect(reply).toMatch(/hasn't seen that story in the latest items of this server's 1 feed/);
    for (const secret of ['secret', 'token', 'private.xml', privateUrl, 'Insider Briefing', 'Merger talks']) expect(reply).not.toContain(secret);
    // server B itself is told about its own feed's story
    const own = await discord.runCommand({ guildId: B, channelId: B_CHANNEL, userId: ADMIN, name: 'why', options: { url: 'https://private.example/scoop' } });
    expect(own.content).toMatch(/Merger talks leak/);
  });

  it("/preview in server A never tries server B's items", async () => {
    const reply = (await run(READER, 'preview', { query: 'merger talks' })).content;
    expect(reply).toMatch(/matches nothing in the last \d+ items from this server's 1 feed/);
    expect(reply).not.toContain('Insider Briefing');
  });

  it("autocomplete in server A lists only A's feeds and subscriptions", async () => {
    for (const subcommand of ['remove', 'status', 'retry']) {
      const choices = await discord.autocomplete({ guildId: GUILD, channelId: DESK, userId: ADMIN, name: 'feed', subcommand, options: {}, focused: 'url' });
      expect(choices.map((c) => c.value)).toEqual([feeds.url('/world.xml')]);
      const typed = await discord.autocomplete({ guildId: GUILD, channelId: DESK, userId: ADMIN, name: 'feed', subcommand, options: { url: 'private' }, focused: 'url' });
      expect(typed).toEqual([]);
      const inB = await discord.autocomplete({ guildId: B, channelId: B_CHANNEL, userId: ADMIN, name: 'feed', subcommand, options: { url: 'private' }, focused: 'url' });
      expect(inB.map((c) => c.value)).toEqual([privateUrl]);
    }
    const subsA = await discord.autocomplete({ guildId: GUILD, channelId: DESK, userId: ADMIN, name: 'unsubscribe', options: {}, focused: 'subscription' });
    expect(subsA.length).toBeGreaterThan(0);
    for (const c of subsA) expect(c.name).not.toMatch(/merger/);
    expect(await discord.autocomplete({ guildId: GUILD, channelId: DESK, userId: ADMIN, name: 'unsubscribe', options: { subscription: 'merger' }, focused: 'subscription' })).toEqual([]);
    const subsB = await discord.autocomplete({ guildId: B, channelId: B_CHANNEL, userId: ADMIN, name: 'unsubscribe', options: {}, focused: 'subscription' });
    expect(subsB.map((c) => c.name.split(' · ')[0])).toEqual(['merger talks']);
  });

  it("/feed status in server A does not describe server B's feed", async () => {
    const reply = (await run(ADMIN, 'feed', { url: privateUrl }, DESK, 'status')).content;
    expect(reply).toMatch(/doesn't follow/);
    expect(reply).not.toContain('Insider Briefing');
  });
});

// Finding 3 of issue 8: the query that took 9.7 s in the safety analysis is answered, deferred first.
describe('/preview with costly-looking regexes', () => {
  it('accepts /(.*a){20}/ … /(.*a){29}/ and tells exactly which matched', async () => {
    const title = 'Banana banana banana banana banana banana banana banana'; // 24 × "a"
    expect(title.split('a').length - 1).toBe(24);
    feeds.set('/world.xml', rssFeed({ title: 'World Desk', link: 'https://news.example/', items: [{ title, guid: 'b1', link: 'https://news.example/bananas', description: 'Fruit news.', pubDate: 'Tue, 25 Nov 2026 09:00:00 GMT' }, ...items] }), { contentType: 'application/rss+xml' });
    await app.pollNow();
    const query = Array.from({ length: 10 }, (_, i) => `/(.*a){${20 + i}}/`).join(',');
    const reply = await run(READER, 'preview', { query });
    expect(reply.type).toBe('deferred');
    expect(reply.content).toMatch(/would have matched 1 of the last \d+ items/);
    expect(reply.content).toContain('Banana banana');
    // shown markdown-escaped (`\*`), like all text from queries and feeds
    const matched = /matched (\/.*)$/m.exec(reply.content)![1]!.replaceAll('\\*', '*');
    expect(matched).toBe(['/(.*a){20}/', '/(.*a){21}/', '/(.*a){22}/', '/(.*a){23}/', '/(.*a){24}/'].join(', '));
  });

  it('refuses a query with more regexes than one query may hold', async () => {
    const query = Array.from({ length: 11 }, (_, i) => `/x${i}/`).join(',');
    const reply = await run(READER, 'preview', { query });
    expect(reply.content).toMatch(/doesn't parse: too many regular expressions at 50 \(at most 10 per query\)/);
  });

  it('sent only valid requests', () => {
    expect(discord.problems).toEqual([]);
  });
});
