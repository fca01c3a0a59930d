// Feeds end to end: the bot against the fake Discord and a local feed server, on a fake clock.
//
// The address guard stays ON here. The feed server can only live on 127.0.0.1, so a small TCP relay on 127.0.0.2 stands
// in for "the internet": feeds are addressed as http://news.test:<relay port>/…, the fake DNS maps news.test to
// 127.0.0.2, and the guard's test hook counts 127.0.0.2 (only) as public. A redirect to 127.0.0.1 is then refused
// exactly as it would be in production.
import { mkdtempSync, rmSync } from 'node:fs';
import type { LookupFunction } from 'node:net';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PermissionFlagsBits } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { isBlockedAddress } from '../../src/feeds/fetch/address-guard.js';
import { parseOpml } from '../../src/feeds/parse/opml.js';
import { DISABLE_AFTER_MS } from '../../src/feeds/poll/scheduler.js';
import { startFakeDiscord, type FakeDiscord } from '../harness/fake-discord.js';
import { rssFeed, startFeedServer, type FeedServer } from '../harness/feed-server.js';

const TOKEN = 'feeds-e2e-token';
const GUILD = '100000000000000011';
const GUILD2 = '100000000000000012';
const NEWS = '200000000000000011';
const SPORT = '200000000000000012';
const QUIET = '200000000000000013';
const OTHER_NEWS = '200000000000000021';
const ADMIN = '300000000000000011';
const MANAGE = PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages | PermissionFlagsBits.ManageChannels;
const FEED_BYTES = 100_000;

let discord: FakeDiscord;
let feeds: FeedServer;
let relay: Server;
let relayPort: number;
let app: App;
let dir: string;
let now = new Date('2026-11-25T10:00:00.000Z');

/** A feed URL as users see it: on the stand-in public host. */
const pub = (path: string) => `http://news.test:${relayPort}${path}`;

const fakeLookup = ((hostname: string, options: { all?: boolean }, cb: (...a: unknown[]) => void) => {
  if (hostname !== 'news.test') {
    const e = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return setImmediate(() => cb(e, '', undefined));
  }
  setImmediate(() => (options.all ? cb(null, [{ address: '127.0.0.2', family: 4 }]) : cb(null, '127.0.0.2', 4)));
}) as unknown as LookupFunction;

const run = (name: string, options: Record<string, unknown> = {}, subcommand?: string, guildId = GUILD, channelId = NEWS) =>
  discord.runCommand({ guildId, channelId, userId: ADMIN, name, subcommand, options });

const story = (guid: string, title: string, pubDate: string) => ({ guid, title, link: `https://site.example/${guid}`, description: `${title}.`, pubDate });
/** An import edits one reply: its progress, then the summary. Resolves with the reply once it is the summary. */
async function importFile(file: { filename: string; data: string; contentType?: string }, guildId = GUILD2, channelId = OTHER_NEWS) {
  const reply = await run('feed', { file }, 'import', guildId, channelId);
  const deadline = Date.now() + 20_000;
  while (!reply.content.startsWith('Imported') && !reply.content.includes("isn't an OPML")) {
    if (Date.now() > deadline) throw new Error(`the import never finished: ${reply.content}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return reply;
}
const notices = (channelId: string) => discord.messages(channelId).filter((m) => m.content.startsWith('⛔'));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'herald-feeds-e2e-'));
  feeds = await startFeedServer();
  relay = createServer((socket: Socket) => {
    const upstream = connect(feeds.port, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.2', resolve));
  relayPort = (relay.address() as { port: number }).port;

  discord = await startFakeDiscord({
    token: TOKEN,
    applicationId: '400000000000000011',
    botUserId: '400000000000000012',
    guilds: [
      {
        id: GUILD,
        name: 'Newsroom',
        channels: [
          { id: NEWS, name: 'news' },
          { id: SPORT, name: 'sport' },
          { id: QUIET, name: 'quiet' },
        ],
        members: [{ id: ADMIN, username: 'admin', permissions: MANAGE }],
      },
      { id: GUILD2, name: 'Second', channels: [{ id: OTHER_NEWS, name: 'news' }], members: [{ id: ADMIN, username: 'admin', permissions: MANAGE }] },
    ],
  });
  const config = loadConfig({
    DISCORD_TOKEN: TOKEN,
    DISCORD_API_URL: discord.apiUrl,
    STORE_URL: `sqlite://${join(dir, 'herald.sqlite')}`,
    LOG_LEVEL: 'silent',
    MAX_FEED_BYTES: String(FEED_BYTES),
    POLL_CRON: '*/2 * * * *',
  });
  expect(config.allowPrivateAddresses).toBe(false);
  // Herald builds its two fetchers (polling, member-triggered) itself; the test only swaps DNS and the guard's list.
  const fetcherOptions = { lookup: fakeLookup, isBlocked: (ip: string) => ip !== '127.0.0.2' && isBlockedAddress(ip) };
  app = await startApp({ config, fetcherOptions, clock: () => now, schedulePolling: false });
});

afterAll(async () => {
  await app?.stop();
  await discord?.close();
  await new Promise((resolve) => relay?.close(resolve));
  await feeds?.close();
  rmSync(dir, { recursive: true, force: true });
});

const siteHtml = (links: string) => `<!doctype html><html><head><title>Site</title>${links}</head><body><p>Welcome</p></body></html>`;
const siteItems = [story('s1', 'Old story about Korea talks', 'Mon, 23 Nov 2026 08:00:00 GMT'), story('s2', 'Old football result', 'Mon, 23 Nov 2026 09:00:00 GMT')];
let siteFeed: string;

describe('adding feeds', () => {
  it('discovers the feed from a site page, following it without posting old items', async () => {
    feeds.set('/site/', siteHtml('<link rel="alternate" type="application/rss+xml" title="Site News" href="/site/feed.xml">'), { contentType: 'text/html; charset=utf-8' });
    feeds.set('/site/feed.xml', rssFeed({ title: 'Site News', items: siteItems }));
    siteFeed = pub('/site/feed.xml');
    const reply = await run('feed', { url: pub('/site/') }, 'add');
    expect(reply.ephemeral).toBe(true);
    expect(reply.content).toContain(`Following **Site News** (${siteFeed})`);
    expect(app.services.feeds.followedBy(GUILD)).toEqual([siteFeed]);
    expect((await run('subscribe', { query: 'Korea' })).content).toContain('Subscribed');
    expect((await run('subscribe', { query: 'football', channel: SPORT })).content).toContain(`Subscribed <#${SPORT}>`);
    await app.pollNow();
    expect(discord.messages(NEWS)).toHaveLength(0);
  });

  it('lists the feeds when a page offers several, following none', async () => {
    feeds.set(
      '/multi/',
      siteHtml('<link rel="alternate" type="application/rss+xml" title="World" href="/multi/world.xml"><link rel="alternate" type="application/atom+xml" title="Sport" href="/multi/sport.atom">'),
      { contentType: 'text/html' },
    );
    const reply = await run('feed', { url: pub('/multi/') }, 'add');
    expect(reply.content).toContain('That page offers 2 feeds; add the one you want by its URL.');
    expect(reply.content).toContain(`World: ${pub('/multi/world.xml')}`);
    expect(reply.content).toContain(`Sport: ${pub('/multi/sport.atom')}`);
    expect(app.services.feeds.followedBy(GUILD)).toEqual([siteFeed]);
  });

  it('refuses a feed over the byte cap, saying so', async () => {
    const big = rssFeed({ title: 'Huge', items: Array.from({ length: 400 }, (_, i) => story(`h${i}`, `Long story ${i}`, 'Mon, 23 Nov 2026 08:00:00 GMT')).map((s) => ({ ...s, description: 'x'.repeat(400) })) });
    expect(big.length).toBeGreaterThan(FEED_BYTES);
    feeds.set('/huge.xml', big);
    const reply = await run('feed', { url: pub('/huge.xml') }, 'add');
    expect(reply.content).toBe(`Couldn't fetch ${pub('/huge.xml')}: the feed is larger than the 98 KB limit`);
    expect(app.services.feeds.followedBy(GUILD)).toEqual([siteFeed]);

    // A followed feed that outgrows the cap fails its poll with the same reason, shown by /feed status.
    feeds.set('/grows.xml', rssFeed({ title: 'Grows', items: siteItems }));
    expect((await run('feed', { url: pub('/grows.xml') }, 'add')).content).toContain('Following **Grows**');
    feeds.set('/grows.xml', big);
    const report = await app.pollNow();
    expect(report.outcomes.failed).toBe(1);
    const status = await run('feed', { url: pub('/grows.xml') }, 'status');
    expect(status.content).toContain('Health: ⚠️ failing (1 failed attempt)');
    expect(status.content).toContain('Last error: the feed is larger than the 98 KB limit');
    expect(status.content).toMatch(/Next poll: <t:\d+:R>/);
    expect((await run('feed', { url: pub('/grows.xml') }, 'remove')).content).toContain('Stopped following');
  });

  it('refuses a redirect to 127.0.0.1 with the address guard on, never reaching it', async () => {
    feeds.set('/private/admin.xml', rssFeed({ title: 'Internal', items: siteItems }));
    feeds.redirect('/moved.xml', `http://127.0.0.1:${feeds.port}/private/admin.xml`, 301);
    const reply = await run('feed', { url: pub('/moved.xml') }, 'add');
    expect(reply.content).toBe(`Couldn't fetch ${pub('/moved.xml')}: refused: 127.0.0.1 is a loopback address`);
    expect(feeds.hits('/moved.xml')).toBe(1);
    expect(feeds.hits('/private/admin.xml')).toBe(0);
  });
});

describe('knowing what is new', () => {
  it('posts a new story, then does not re-post it when the pubDates change', async () => {
    const fresh = story('s3', 'Korea talks resume in Panmunjom', 'Wed, 25 Nov 2026 08:00:00 GMT');
    feeds.set('/site/feed.xml', rssFeed({ title: 'Site News', items: [fresh, ...siteItems] }));
    expect((await app.pollNow()).newItems).toBe(1);
    expect(discord.messages(NEWS)).toHaveLength(1);
    expect(discord.messages(NEWS)[0]!.embeds[0].title).toContain('Korea');

    const bumped = [fresh, ...siteItems].map((s) => ({ ...s, pubDate: 'Thu, 26 Nov 2026 12:00:00 GMT' }));
    feeds.set('/site/feed.xml', rssFeed({ title: 'Site News', items: bumped.reverse() }));
    const report = await app.pollNow();
    expect(report.newItems).toBe(0);
    expect(discord.messages(NEWS)).toHaveLength(1);
  });

  it('misses nothing in a feed where every item has the same timestamp', async () => {
    const same = 'Wed, 25 Nov 2026 00:00:00 GMT';
    const old = [1, 2, 3].map((i) => story(`same-${i}`, `Same-time story ${i}`, same));
    feeds.set('/same.xml', rssFeed({ title: 'Same Time', items: old }));
    expect((await run('feed', { url: pub('/same.xml') }, 'add')).content).toContain('Following **Same Time**');
    const added = [story('same-4', 'Korea football friendly announced', same), story('same-5', 'Korea trade figures out', same)];
    feeds.set('/same.xml', rssFeed({ title: 'Same Time', items: [...added, ...old] }));
    expect((await app.pollNow()).newItems).toBe(2);
    const titles = discord.messages(NEWS).map((m) => m.embeds[0].title as string);
    // Same timestamps: oldest first is by reverse feed order (feeds list newest first).
    expect(titles.slice(-2).map((t) => t.replace(/\*/g, ''))).toEqual(['Korea trade figures out', 'Korea football friendly announced']);
    expect(discord.messages(SPORT).map((m) => (m.embeds[0].title as string).replace(/\*/g, ''))).toEqual(['Korea football friendly announced']);
  });

  it('answers a 304 cycle without parsing anything', async () => {
    const before = feeds.requests.length;
    const report = await app.pollNow();
    expect(report.outcomes['not-modified']).toBe(2);
    expect(report.outcomes['new-items'] + report.outcomes.unchanged).toBe(0);
    const cycle = feeds.requests.slice(before);
    expect(cycle).toHaveLength(2);
    for (const r of cycle) {
      expect(r.status).toBe(304);
      expect(r.headers['if-none-match']).toMatch(/^"/);
    }
  });
});

describe('feed health', () => {
  let flaky: string;

  it('disables a feed failing for about 3 days, with one notice per subscribed channel', async () => {
    feeds.set('/flaky.xml', rssFeed({ title: 'Flaky *Wire*', items: siteItems }));
    flaky = pub('/flaky.xml');
    expect((await run('feed', { url: flaky }, 'add')).content).toContain('Following **Flaky \\*Wire\\***');
    feeds.remove('/flaky.xml');
    const start = now.getTime();
    for (let cycle = 0; cycle < 40; cycle++) {
      await app.pollNow();
      const record = await app.store.feeds.get(flaky);
      if (record?.disabledReason) break;
      now = new Date(Date.parse(record!.nextPollAt!));
    }
    const record = (await app.store.feeds.get(flaky))!;
    expect(record.disabledReason).toBe('it has failed for 3 days; the last error was: the feed answered 404 Not Found — check the URL');
    expect(now.getTime() - start).toBeGreaterThanOrEqual(DISABLE_AFTER_MS - 60_000);
    expect(now.getTime() - start).toBeLessThan(DISABLE_AFTER_MS + 5 * 60_000);

    for (const channel of [NEWS, SPORT]) {
      const sent = notices(channel);
      expect(sent).toHaveLength(1);
      expect(sent[0]!.content).toContain('**Flaky \\*Wire\\***');
      expect(sent[0]!.content).toContain(`<${flaky}>`);
      expect(sent[0]!.content).toContain('404 Not Found');
      expect(sent[0]!.content).toContain(`/feed retry url:${flaky}`);
      expect(sent[0]!.allowedMentions).toEqual({ parse: [] });
    }
    expect(notices(QUIET)).toHaveLength(0);
    expect(notices(OTHER_NEWS)).toHaveLength(0);

    // Later cycles neither poll it nor notify again.
    const hits = feeds.hits('/flaky.xml');
    now = new Date(now.getTime() + 24 * 3600_000);
    expect((await app.pollNow()).outcomes.skipped).toBe(1);
    expect(feeds.hits('/flaky.xml')).toBe(hits);
    expect(notices(NEWS)).toHaveLength(1);
  });

  it('shows health in /feed status and /feed list', async () => {
    const one = await run('feed', { url: flaky }, 'status');
    expect(one.ephemeral).toBe(true);
    expect(one.content).toContain('Health: ⛔ disabled');
    expect(one.content).toContain('Last error: the feed answered 404 Not Found');
    expect(one.content).toContain('Next poll: never while disabled');
    expect(one.content).toContain(`/feed retry url:${flaky}`);
    expect(one.content).toMatch(/Last success: <t:\d+:R>/);

    const healthy = await run('feed', { url: siteFeed }, 'status');
    expect(healthy.content).toContain('Health: ✅ healthy');
    expect(healthy.content).toMatch(/Last new item: <t:\d+:R>/);
    expect(healthy.content).toContain('Last error: none');
    expect(healthy.content).toContain('Next poll: in the next poll cycle (every 2 minutes)');

    const all = await run('feed', {}, 'status');
    expect(all.content).toMatch(/^3 feeds:/);
    expect(all.content).toContain('1 feed disabled: fix it, then /feed retry');
    expect((await run('feed', {}, 'list')).content).toContain('⛔ disabled');
  });

  it('/feed retry re-enables the feed and polls it now', async () => {
    const broken = await run('feed', { url: flaky }, 'retry');
    expect(broken.content).toMatch(/^⚠️ \*\*Flaky \\\*Wire\\\*\*\* is re-enabled and still fails: the feed answered 404 Not Found/);
    feeds.set('/flaky.xml', rssFeed({ title: 'Flaky *Wire*', items: [story('f9', 'Korea flaky feed is back', 'Thu, 26 Nov 2026 09:00:00 GMT'), ...siteItems] }));
    const fixed = await run('feed', { url: flaky }, 'retry');
    expect(fixed.content).toBe("✅ **Flaky \\*Wire\\*** works: fetched just now, 1 new item checked against this server's subscriptions. It is polled every cycle again.");
    await app.pollNow();
    expect(discord.messages(NEWS).some((m) => m.embeds[0]?.title?.includes('flaky feed is back'))).toBe(true);
    expect((await run('feed', { url: flaky }, 'status')).content).toContain('Health: ✅ healthy');
    expect((await run('feed', { url: pub('/nope.xml') }, 'retry')).content).toContain("This server doesn't follow");
  });
});

describe('OPML', () => {
  it('exports the feeds and imports them into another server', async () => {
    const exported = await run('feed', {}, 'export');
    expect(exported.ephemeral).toBe(true);
    expect(exported.content).toContain('3 feeds in herald-feeds.opml');
    expect(exported.files).toHaveLength(1);
    expect(exported.files[0]!.filename).toBe('herald-feeds.opml');
    const opml = exported.files[0]!.data.toString('utf8');
    const parsed = parseOpml(opml);
    expect(parsed.ok && parsed.feeds.map((f) => f.url)).toEqual(app.services.feeds.followedBy(GUILD));
    expect(parsed.ok && parsed.feeds.map((f) => f.title)).toEqual(['Site News', 'Same Time', 'Flaky *Wire*']);

    expect(app.services.feeds.followedBy(GUILD2)).toEqual([]);
    const imported = await importFile({ filename: 'herald-feeds.opml', data: opml, contentType: 'text/x-opml' });
    expect(imported.editedCount).toBeGreaterThanOrEqual(1);
    expect(imported.ephemeral).toBe(true);
    expect(imported.content).toContain('Imported herald-feeds.opml: added 3, already followed 0, failed 0.');
    // the same feeds; the order is the order the import's two parallel fetches finished in
    expect([...app.services.feeds.followedBy(GUILD2)].sort()).toEqual([...app.services.feeds.followedBy(GUILD)].sort());

    // Again, with a broken and a new feed added: what was followed is skipped, the failure says why.
    feeds.set('/extra.xml', rssFeed({ title: 'Extra', items: siteItems }));
    const more = opml.replace(
      '  </body>',
      `    <outline type="rss" text="Gone" xmlUrl="${pub('/gone.xml')}"/>\n    <outline type="rss" text="Extra" xmlUrl="${pub('/extra.xml')}"/>\n  </body>`,
    );
    const again = await importFile({ filename: 'more.opml', data: more });
    expect(again.content).toContain('Imported more.opml: added 1, already followed 3, failed 1.');
    const shownUrl = pub('/gone.xml').replace('http:', 'http\\:');
    expect(again.content).toContain(`• ${shownUrl} — Couldn't fetch ${shownUrl}: the feed answered 404 Not Found`);
    expect(again.content).toContain('Fix or drop the failed feeds and import again');
    expect(app.services.feeds.followedBy(GUILD2)).toHaveLength(4);
  });

  it('rejects a file that is not OPML', async () => {
    const reply = await run('feed', { file: { filename: 'notes.txt', data: 'just some notes' } }, 'import', GUILD2, OTHER_NEWS);
    expect(reply.content).toMatch(/^notes\.txt isn't an OPML file Herald can read: .+\. Export the list from your feed reader as OPML and try again\.$/);
  });
});

describe("feed text in Herald's own messages", () => {
  it('a feed titled as a masked link is posted inert in the feed-disabled notice', async () => {
    const phish = '[Verify your server](https://evil.example/login)';
    feeds.set('/phish.xml', rssFeed({ title: `${phish} \u202Egnp.exe <@&1> @everyone`, items: siteItems }));
    const url = pub('/phish.xml');
    const added = await run('feed', { url }, 'add');
    expect(added.content).toContain('Following **\\[Verify your server\\](https\\://evil.example/login)');
    feeds.remove('/phish.xml');
    for (let cycle = 0; cycle < 40; cycle++) {
      await app.pollNow();
      const record = await app.store.feeds.get(url);
      if (record?.disabledReason) break;
      now = new Date(Date.parse(record!.nextPollAt!));
    }
    expect((await app.store.feeds.get(url))?.disabledReason).toBeTruthy();

    const notice = notices(NEWS).find((m) => m.content.includes(url));
    expect(notice).toBeDefined();
    // The exact body the fake Discord received: the title is there, readable, but forms no link, mention or override.
    const body = notice!.content;
    expect(body).toContain('**\\[Verify your server\\](https\\://evil.example/login) gnp.exe \\<@&1> \\@everyone**');
    expect(body).not.toMatch(/(^|[^\\])\[[^\]]*(^|[^\\])\]\(/);
    expect(body).not.toContain('https://evil.example');
    expect(body).not.toMatch(/[\u202A-\u202E\u2066-\u2069\u200B-\u200D]/);
    expect(notice!.allowedMentions).toEqual({ parse: [] });
  });
});

describe('contract', () => {
  it('sent only request bodies Discord accepts, on routes it has', () => {
    expect(discord.problems).toEqual([]);
  });
});
