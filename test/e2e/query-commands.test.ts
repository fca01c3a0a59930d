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

  it('tells a story from an unfollowed feed from one Herald never saw', async () => {
    expect((await run(READER, 'why', { url: 'https://sports.example/final' })).content).toMatch(/Sports Only.*doesn't follow/);
    expect((await run(READER, 'why', { url: 'https://nowhere.example/story' })).content).toMatch(/hasn't seen that story/);
    expect((await run(READER, 'why', { url: 'not a link' })).content).toMatch(/not an article link/);
  });

  it('sent only valid requests', () => {
    expect(discord.problems).toEqual([]);
  });
});
