// Delivery runs at Discord's pace and polling at the feeds': a send that takes long (one channel waiting out Discord)
// must not stop the poll ticks that every other server's feeds depend on.
import { PermissionFlagsBits } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { startFakeDiscord, type FakeDiscord } from '../harness/fake-discord.js';
import { rssFeed, startFeedServer, type FeedServer } from '../harness/feed-server.js';
import { until } from '../harness/until.js';

const TOKEN = 'poll-vs-delivery-token';
const GUILD = '120000000000000001';
const ALPHA = '220000000000000001';
const ADMIN = '320000000000000001';
/** Long enough that a tick waiting for the send would skip many ticks; shorter than discord.js's 15 s REST timeout. */
const SLOW_SEND_MS = 12_000;

let discord: FakeDiscord;
let feeds: FeedServer;
let app: App;

const item = (n: number) => ({ title: `Harbour ${n} reopens after the storm passes`, guid: `harbour-${n}`, link: `https://news.example/harbour-${n}`, description: `Harbour ${n}.` });
const publish = (items: ReturnType<typeof item>[]) => feeds.set('/h.xml', rssFeed({ title: 'Harbours', link: 'https://news.example/', items }), { contentType: 'application/rss+xml' });
const alerts = () => discord.messages(ALPHA).filter((m) => m.embeds.length > 0);

beforeAll(async () => {
  feeds = await startFeedServer();
  publish([item(0)]);
  discord = await startFakeDiscord({
    token: TOKEN,
    applicationId: '420000000000000001',
    botUserId: '420000000000000002',
    guilds: [{ id: GUILD, name: 'Ports', channels: [{ id: ALPHA, name: 'alpha' }], members: [{ id: ADMIN, username: 'admin', permissions: PermissionFlagsBits.Administrator }] }],
  });
  const config = loadConfig({ DISCORD_TOKEN: TOKEN, DISCORD_API_URL: discord.apiUrl, GUILD_ID: GUILD, STORE_URL: 'memory://', ALLOW_PRIVATE_ADDRESSES: 'true', LOG_LEVEL: 'silent', POLL_CRON: '*/1 * * * * *' });
  app = await startApp({ config, ratingRefreshMs: 10 });
  const run = (name: string, options: Record<string, unknown>, subcommand?: string) => discord.runCommand({ guildId: GUILD, channelId: ALPHA, userId: ADMIN, name, subcommand, options });
  expect((await run('feed', { url: feeds.url('/h.xml') }, 'add')).content).toMatch(/Following/);
  expect((await run('subscribe', { query: 'harbour' })).content).toMatch(/Subscribed/);
});

afterAll(async () => {
  await app?.stop();
  await discord?.close();
  await feeds?.close();
});

describe('polling and delivery', () => {
  it('keeps polling every tick while an alert waits on a slow Discord', async () => {
    discord.failNext(new RegExp(`POST /channels/${ALPHA}/messages$`), { slowMs: SLOW_SEND_MS }, 1);
    const before = feeds.hits('/h.xml');
    publish([item(1), item(0)]);
    // the next poll picks the story up and queues its send, on which Discord then sits
    await until(() => feeds.hits('/h.xml') > before, 'the poll that picks the story up', 10_000);
    const hits = feeds.hits('/h.xml');
    // A tick that waited for its sends would skip every tick until Discord answers; these polls happen meanwhile.
    await until(() => feeds.hits('/h.xml') >= hits + 3, 'three more polls', SLOW_SEND_MS - 2_000);
    expect(alerts()).toHaveLength(0);
    await until(() => alerts().length === 1, 'the slow alert', 30_000);
    expect(alerts()[0]!.embeds[0].url).toBe('https://news.example/harbour-1');
  }, 60_000);
});
