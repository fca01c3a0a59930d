// Bad days: a 429, a Discord outage, a deleted channel, a story from two feeds. Nothing lost, nothing doubled.
import { PermissionFlagsBits } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { startFakeDiscord, type FakeDiscord } from '../harness/fake-discord.js';
import { rssFeed, startFeedServer, type FeedServer } from '../harness/feed-server.js';
import { until } from '../harness/until.js';

const TOKEN = 'resilience-token';
const GUILD = '110000000000000001';
const ALPHA = '210000000000000001';
const BETA = '210000000000000002';
const ADMIN = '310000000000000001';

let discord: FakeDiscord;
let feeds: FeedServer;
let app: App;

type Item = { title: string; guid: string; link: string; description: string };
const storm = (n: number): Item => ({ title: `Storm ${n} batters the northern coast overnight`, guid: `storm-${n}`, link: `https://news.example/storm-${n}`, description: `Storm number ${n}.` });
const publish = (path: string, title: string, items: Item[]) => feeds.set(path, rssFeed({ title, link: 'https://news.example/', items }), { contentType: 'application/rss+xml' });
const run = (channelId: string, name: string, options: Record<string, unknown>, subcommand?: string) =>
  discord.runCommand({ guildId: GUILD, channelId, userId: ADMIN, name, subcommand, options });
const alertsIn = (channelId: string) => discord.messages(channelId).filter((m) => m.embeds.length > 0);

beforeAll(async () => {
  feeds = await startFeedServer();
  publish('/a.xml', 'Feed A', [storm(0)]);
  publish('/b.xml', 'Feed B', []);
  discord = await startFakeDiscord({
    token: TOKEN,
    applicationId: '410000000000000001',
    botUserId: '410000000000000002',
    guilds: [{ id: GUILD, name: 'Weather', channels: [{ id: ALPHA, name: 'alpha' }, { id: BETA, name: 'beta' }], members: [{ id: ADMIN, username: 'admin', permissions: PermissionFlagsBits.Administrator }] }],
  });
  const config = loadConfig({ DISCORD_TOKEN: TOKEN, DISCORD_API_URL: discord.apiUrl, GUILD_ID: GUILD, STORE_URL: 'memory://', ALLOW_PRIVATE_ADDRESSES: 'true', LOG_LEVEL: 'silent' });
  app = await startApp({ config, schedulePolling: false, ratingRefreshMs: 10, alertRetryMs: 50 });
  for (const path of ['/a.xml', '/b.xml']) expect((await run(ALPHA, 'feed', { url: feeds.url(path) }, 'add')).content).toMatch(/Following/);
  expect((await run(ALPHA, 'subscribe', { query: 'storm' })).content).toMatch(/Subscribed/);
  expect((await run(ALPHA, 'subscribe', { query: 'storm', channel: BETA })).content).toMatch(/Subscribed/);
  await app.pollNow();
});

afterAll(async () => {
  await app?.stop();
  await discord?.close();
  await feeds?.close();
});

describe('resilience', () => {
  it('refuses a second identical subscription in the same channel', async () => {
    const reply = await run(ALPHA, 'subscribe', { query: '  STORM ' });
    expect(reply.content).toMatch(/already has this subscription/);
    expect(app.services.subscriptions.listForChannel(ALPHA)).toHaveLength(1);
  });

  it('waits out a 429 and posts the alert once', async () => {
    discord.failNext(new RegExp(`POST /channels/${ALPHA}/messages$`), { status: 429, retryAfterSeconds: 0.2 }, 1);
    publish('/a.xml', 'Feed A', [storm(1), storm(0)]);
    await app.pollNow();
    expect(alertsIn(ALPHA).map((m) => m.embeds[0].url)).toEqual(['https://news.example/storm-1']);
    expect(alertsIn(BETA)).toHaveLength(1);
  });

  it('posts a story carried by two feeds once per channel', async () => {
    publish('/b.xml', 'Feed B', [storm(1)]);
    const report = await app.pollNow();
    expect(report.outcomes['new-items']).toBe(1);
    expect(alertsIn(ALPHA)).toHaveLength(1);
    expect(alertsIn(BETA)).toHaveLength(1);
  });

  it('keeps an alert through a Discord outage and sends it when Discord is back', async () => {
    discord.failNext(new RegExp(`POST /channels/${ALPHA}/messages$`), { status: 503 }, 6);
    publish('/a.xml', 'Feed A', [storm(2), storm(1), storm(0)]);
    await app.pollNow();
    await until(() => alertsIn(ALPHA).length === 2, 'the retried alert');
    expect(alertsIn(ALPHA).map((m) => m.embeds[0].url)).toEqual(['https://news.example/storm-1', 'https://news.example/storm-2']);
    expect(alertsIn(BETA)).toHaveLength(2);
  });

  it('forgets the subscriptions of a deleted channel and keeps serving the others', async () => {
    discord.deleteChannel(BETA);
    await until(() => app.services.subscriptions.listForChannel(BETA).length === 0, 'the channel delete to remove its subscriptions');
    publish('/a.xml', 'Feed A', [storm(3), storm(2), storm(1), storm(0)]);
    await app.pollNow();
    expect(alertsIn(ALPHA)).toHaveLength(3);
  });

  it('survives a feed that starts failing, and reports it in /feed list', async () => {
    feeds.set('/a.xml', 'Internal Server Error', { status: 500, contentType: 'text/plain' });
    const report = await app.pollNow();
    expect(report.outcomes.failed).toBe(1);
    const list = await run(ALPHA, 'feed', {}, 'list');
    expect(list.content).toMatch(/Feed A.*failing/);
  });

  it('sent only valid requests', () => {
    expect(discord.problems).toEqual([]);
  });
});
