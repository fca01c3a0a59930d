// What members trigger (/feed add, import, retry) has its own fetch budget, so it can never hold up polling; an
// OPML import is capped at the server's free feed slots and runs in the background, editing one progress reply.
import { mkdtempSync, rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import type { LookupFunction } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PermissionFlagsBits } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEMBER_FETCH_CONCURRENCY, startApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { buildOpml } from '../../src/feeds/parse/opml.js';
import { startFakeDiscord, type FakeDiscord } from '../harness/fake-discord.js';
import { rssFeed, startFeedServer, type FeedServer } from '../harness/feed-server.js';

const TOKEN = 'budgets-e2e-token';
const GUILD = '100000000000000031';
const GUILD2 = '100000000000000032';
const GUILD3 = '100000000000000033';
const NEWS = '200000000000000031';
const OTHER = '200000000000000032';
const THIRD = '200000000000000033';
const ADMIN = '300000000000000031';
const MANAGE = PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages | PermissionFlagsBits.ManageChannels;
const FEED_LIMIT = 5;

let discord: FakeDiscord;
let feeds: FeedServer;
let app: App;
let dir: string;
let now = new Date('2026-11-25T10:00:00.000Z');

/** Every `*.test` host is the local feed server: many hosts, so per-host caps play no part. */
const lookup = ((hostname: string, options: { all?: boolean }, cb: (...a: unknown[]) => void) => {
  if (!hostname.endsWith('.test')) return setImmediate(() => cb(Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '', undefined));
  setImmediate(() => (options.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)));
}) as unknown as LookupFunction;
const at = (host: string, path: string) => `http://${host}.test:${feeds.port}${path}`;

/** Requests to /hang get no answer while `holding` (a URL that trickles forever); released, they get a 404. */
const hanging = new Set<ServerResponse>();
let holding = true;
/** Hanging requests the client gave up on (its timeout): none may, while a poll waits for nothing. */
let abandoned = 0;
const releaseHanging = () => {
  holding = false;
  for (const res of hanging) res.writeHead(404).end();
  hanging.clear();
};

const run = (name: string, options: Record<string, unknown>, subcommand: string | undefined, guildId: string, channelId: string) =>
  discord.runCommand({ guildId, channelId, userId: ADMIN, name, subcommand, options });

async function until(what: string, done: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const items = [{ guid: 'a', title: 'Old story', link: 'https://site.example/a', description: 'Old.' }];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'herald-budgets-'));
  feeds = await startFeedServer();
  feeds.handle('/hang', (_req, res) => {
    if (!holding) return void res.writeHead(404).end();
    hanging.add(res);
    res.on('close', () => {
      if (hanging.delete(res) && !res.writableEnded) abandoned++;
    });
  });
  feeds.set('/poll.xml', rssFeed({ title: 'Polled', items }));
  for (let i = 0; i < 10; i++) feeds.set(`/f${i}.xml`, rssFeed({ title: `Feed ${i}`, items }));
  const member = { id: ADMIN, username: 'admin', permissions: MANAGE };
  discord = await startFakeDiscord({
    token: TOKEN,
    applicationId: '400000000000000031',
    botUserId: '400000000000000032',
    guilds: [
      { id: GUILD, name: 'Budget', channels: [{ id: NEWS, name: 'news' }], members: [member] },
      { id: GUILD2, name: 'Importer', channels: [{ id: OTHER, name: 'news' }], members: [member] },
      { id: GUILD3, name: 'Slow importer', channels: [{ id: THIRD, name: 'news' }], members: [member] },
    ],
  });
  const config = loadConfig({
    DISCORD_TOKEN: TOKEN,
    DISCORD_API_URL: discord.apiUrl,
    STORE_URL: `sqlite://${join(dir, 'herald.sqlite')}`,
    LOG_LEVEL: 'silent',
    POLL_CRON: '*/2 * * * *',
    MAX_FEEDS_PER_GUILD: String(FEED_LIMIT),
    ALLOW_PRIVATE_ADDRESSES: 'true',
  });
  app = await startApp({ config, fetcherOptions: { lookup }, clock: () => now, schedulePolling: false });
});

afterAll(async () => {
  releaseHanging();
  await app?.stop();
  await discord?.close();
  await feeds?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('separate fetch budgets', () => {
  it('a poll cycle completes while members fill their fetch budget with URLs that never answer', async () => {
    await app.services.feeds.follow(GUILD, at('poll', '/poll.xml'));
    const polledBefore = feeds.hits('/poll.xml');

    // 36 members' adds of URLs that trickle forever (each on its own host), more than the 32 polling slots.
    const adds = Array.from({ length: 36 }, (_, i) => app.services.feeds.follow(GUILD, at(`slow${i}`, `/hang?${i}`)).then(() => 'added', () => 'failed'));
    await until('the member budget is full', () => hanging.size >= MEMBER_FETCH_CONCURRENCY);

    now = new Date(now.getTime() + 3_600_000); // the polled feed is due again
    const report = await app.pollNow();
    expect(report.feeds).toBe(1);
    expect(report.outcomes['not-modified']).toBe(1); // fetched and answered, not skipped or failed
    expect(feeds.hits('/poll.xml')).toBe(polledBefore + 1);
    // The cycle finished with every member fetch still hanging, and members never had more than their budget.
    expect(hanging.size).toBe(MEMBER_FETCH_CONCURRENCY);
    expect(abandoned).toBe(0);

    releaseHanging();
    const outcomes = await Promise.all(adds);
    expect(outcomes.every((o) => o === 'failed')).toBe(true);
    expect(app.services.feeds.followedBy(GUILD)).toEqual([at('poll', '/poll.xml')]);
  });
});

describe('/feed import', () => {
  it('tries only as many new feeds as the server has free slots, and edits one progress reply into the summary', async () => {
    await app.services.feeds.follow(GUILD2, at('one', '/f0.xml'));
    // 1 followed already, 1 broken, 7 new: 4 free slots → 4 tried (the broken one counts), 4 refused.
    const listed = [at('one', '/f0.xml'), at('two', '/gone.xml'), ...[1, 2, 3, 4, 5, 6, 7].map((i) => at(`h${i}`, `/f${i}.xml`))];
    const opml = buildOpml('mine', listed.map((url) => ({ url, title: null, siteUrl: null })), new Date());
    const hitsBefore = feeds.requests.length;
    const reply = await run('feed', { file: { filename: 'mine.opml', data: opml } }, 'import', GUILD2, OTHER);
    await until('the import summary', () => reply.content.startsWith('Imported'));

    expect(reply.content).toContain('Imported mine.opml: added 3, already followed 1, failed 1. 4 feeds not imported: this server may follow 5 feeds; remove some with /feed remove, then import again.');
    expect(reply.content).toContain('the feed answered 404 Not Found');
    expect(app.services.feeds.followedBy(GUILD2)).toHaveLength(4);
    // Only the 4 tried were fetched: the refused ones cost nothing.
    const fetched = feeds.requests.slice(hitsBefore).map((r) => r.path);
    expect(fetched.sort()).toEqual(['/f1.xml', '/f2.xml', '/f3.xml', '/gone.xml']);

    // One reply, edited: first the progress, last the summary.
    const edits = discord.requests.filter((r) => r.method === 'PATCH' && r.path.includes('/messages/@original')).map((r) => (r.body as { content?: string }).content ?? '');
    expect(edits.length).toBeGreaterThanOrEqual(2);
    expect(edits[0]).toBe('Importing mine.opml: 0/4 feeds checked…');
    expect(edits.at(-1)).toBe(reply.content);
    expect(reply.editedCount).toBeGreaterThanOrEqual(1);
  });

  it('runs in the background: other commands answer meanwhile, and a second import waits its turn', async () => {
    holding = true;
    const slow = buildOpml('slow', [at('s1', '/hang?a'), at('s2', '/hang?b')].map((url) => ({ url, title: null, siteUrl: null })), new Date());
    const reply = await run('feed', { file: { filename: 'slow.opml', data: slow } }, 'import', GUILD3, THIRD);
    expect(reply.content).toBe('Importing slow.opml: 0/2 feeds checked…');
    await until('both import fetches hang', () => hanging.size >= 2);

    const list = await run('feed', {}, 'list', GUILD3, THIRD);
    expect(list.content).toContain('This server follows no feeds yet');
    const again = await run('feed', { file: { filename: 'slow.opml', data: slow } }, 'import', GUILD3, THIRD);
    expect(again.content).toBe('An import is already running in this server. Wait for its summary, then import again.');

    releaseHanging();
    await until('the import summary', () => reply.content.startsWith('Imported'));
    expect(reply.content).toContain('Imported slow.opml: added 0, already followed 0, failed 2.');
  });

  it('sent only request bodies Discord accepts', () => {
    expect(discord.problems).toEqual([]);
  });
});
