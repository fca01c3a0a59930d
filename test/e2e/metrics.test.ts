// /metrics and /healthz with METRICS_PORT set: a poll that posts an alert moves the counters; /healthz says 200 while
// the gateway is connected and the store answers, 503 with a reason otherwise.
import { PermissionFlagsBits } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { heraldHealth } from '../../src/metrics-server.js';
import { startFakeDiscord, type FakeDiscord } from '../harness/fake-discord.js';
import { rssFeed, startFeedServer, type FeedServer } from '../harness/feed-server.js';
import { until } from '../harness/until.js';

const TOKEN = 'metrics-token';
const GUILD = '130000000000000001';
const ALPHA = '230000000000000001';
const ADMIN = '330000000000000001';

let discord: FakeDiscord;
let feeds: FeedServer;
let app: App;

const item = (n: number) => ({ title: `Lighthouse ${n} relit after repairs`, guid: `lighthouse-${n}`, link: `https://news.example/lighthouse-${n}`, description: `Lighthouse ${n}.` });
const publish = (items: ReturnType<typeof item>[]) => feeds.set('/l.xml', rssFeed({ title: 'Lighthouses', link: 'https://news.example/', items }), { contentType: 'application/rss+xml' });

async function scrape(): Promise<{ status: number; text: string; type: string | null }> {
  const res = await fetch(`http://127.0.0.1:${app.metricsPort}/metrics`);
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

/** The value of one sample (`name{labels} value`), 0 when absent. */
function sample(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(labels ? `${name}{${labels}}` : `${name} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

beforeAll(async () => {
  feeds = await startFeedServer();
  publish([item(0)]);
  discord = await startFakeDiscord({
    token: TOKEN,
    applicationId: '430000000000000001',
    botUserId: '430000000000000002',
    guilds: [{ id: GUILD, name: 'Coasts', channels: [{ id: ALPHA, name: 'alpha' }], members: [{ id: ADMIN, username: 'admin', permissions: PermissionFlagsBits.Administrator }] }],
  });
  const config = loadConfig({ DISCORD_TOKEN: TOKEN, DISCORD_API_URL: discord.apiUrl, GUILD_ID: GUILD, STORE_URL: 'memory://', ALLOW_PRIVATE_ADDRESSES: 'true', LOG_LEVEL: 'silent', METRICS_PORT: '0' });
  app = await startApp({ config, schedulePolling: false, ratingRefreshMs: 10 });
  const run = (name: string, options: Record<string, unknown>, subcommand?: string) => discord.runCommand({ guildId: GUILD, channelId: ALPHA, userId: ADMIN, name, subcommand, options, timeoutMs: 20_000 });
  expect((await run('feed', { url: feeds.url('/l.xml') }, 'add')).content).toMatch(/Following/);
  expect((await run('subscribe', { query: 'lighthouse' })).content).toMatch(/Subscribed/);
});

afterAll(async () => {
  await app?.stop();
  await discord?.close();
  await feeds?.close();
});

describe('metrics', () => {
  it('serves Prometheus text on 127.0.0.1, and a poll that posts an alert moves the counters', async () => {
    expect(app.metricsPort).toBeGreaterThan(0);
    const before = await scrape();
    expect(before.status).toBe(200);
    expect(before.type).toMatch(/^text\/plain/);
    expect(before.text).toContain('# TYPE herald_polls_total counter');
    expect(before.text).toContain('nodejs_eventloop_lag_seconds');

    publish([item(1), item(0)]);
    await app.pollNow();
    await until(() => discord.messages(ALPHA).some((m) => m.embeds.length > 0), 'the alert');

    const after = await scrape();
    expect(sample(after.text, 'herald_polls_total', 'outcome="new-items"') - sample(before.text, 'herald_polls_total', 'outcome="new-items"')).toBe(1);
    expect(sample(after.text, 'herald_items_total') - sample(before.text, 'herald_items_total')).toBe(1);
    expect(sample(after.text, 'herald_alerts_posted_total') - sample(before.text, 'herald_alerts_posted_total')).toBe(1);
    expect(sample(after.text, 'herald_match_seconds_count') - sample(before.text, 'herald_match_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(after.text).toMatch(/^herald_outbox_depth 0$/m);
  });

  it('counts a failing feed under its fetch error kind', async () => {
    const before = await scrape();
    feeds.set('/l.xml', 'gone', { status: 503 });
    await app.services.poller.retry(feeds.url('/l.xml')).catch(() => undefined);
    const after = await scrape();
    expect(sample(after.text, 'herald_fetch_errors_total', 'kind="http-status"') - sample(before.text, 'herald_fetch_errors_total', 'kind="http-status"')).toBe(1);
  });

  it('answers /healthz 200 while connected, and 503 naming the cause otherwise', async () => {
    const ok = await fetch(`http://127.0.0.1:${app.metricsPort}/healthz`);
    expect(ok.status).toBe(200);
    const down = await heraldHealth({ ws: { status: 5 } } as never, app.store.meta);
    expect(down).toEqual({ ok: false, reason: expect.stringMatching(/gateway/) });
    const noStore = await heraldHealth(app.client, { get: async () => Promise.reject(new Error('connect ECONNREFUSED')) });
    expect(noStore).toEqual({ ok: false, reason: expect.stringMatching(/store does not answer: connect ECONNREFUSED/) });
    expect((await fetch(`http://127.0.0.1:${app.metricsPort}/nope`)).status).toBe(404);
  });

  it('counts a failed send under its reason, and the alert waiting in the outbox', async () => {
    feeds.set('/l.xml', rssFeed({ title: 'Lighthouses', link: 'https://news.example/', items: [item(2), item(1), item(0)] }), { contentType: 'application/rss+xml' });
    await app.services.poller.retry(feeds.url('/l.xml')); // back to healthy after the 503s above
    const before = await scrape();
    // discord.js retries a 5xx 3 times: four 503s fail the send, which stays queued for a later retry
    discord.failNext(new RegExp(`POST /channels/${ALPHA}/messages$`), { status: 503 }, 4);
    feeds.set('/l.xml', rssFeed({ title: 'Lighthouses', link: 'https://news.example/', items: [item(3), item(2), item(1), item(0)] }), { contentType: 'application/rss+xml' });
    await app.pollNow();
    const after = await scrape();
    expect(sample(after.text, 'herald_send_failures_total', 'reason="unknown"') - sample(before.text, 'herald_send_failures_total', 'reason="unknown"')).toBe(1);
    expect(after.text).toMatch(/^herald_outbox_depth 1$/m);
  }, 60_000);
});
