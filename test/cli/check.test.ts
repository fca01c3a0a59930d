import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { AlertService } from '../../src/alerts/alert-service.js';
import { runCheck } from '../../src/cli/check.js';
import { blankFeedRecord } from '../../src/feeds/feed-record.js';
import { parseFeed } from '../../src/feeds/parse/feed.js';
import { ParsePool } from '../../src/feeds/parse/pool.js';
import type { FeedItem } from '../../src/feeds/types.js';
import { silentLogger } from '../../src/log.js';
import { SubscriptionService } from '../../src/match/subscription-service.js';
import { openStore } from '../../src/repositories.js';
import { buildHerald, type BuiltHerald } from '../harness/built.js';
import { rssFeed, startFeedServer, type FeedServer } from '../harness/feed-server.js';

const feedXml = rssFeed({
  title: 'World News',
  link: 'https://news.example/',
  items: [
    { title: 'North Korea leader meets families of soldiers', guid: 'a', link: 'https://news.example/a?utm_source=rss&id=7', description: 'Kim met families.', pubDate: 'Tue, 25 Nov 2026 07:30:00 GMT', image: 'https://news.example/a.jpg' },
    { title: 'South Korea elects a new parliament', guid: 'b', link: 'https://news.example/b', description: 'Seoul votes.' },
    { title: 'Koreans celebrate harvest festival', guid: 'c', link: 'https://news.example/c', description: 'Chuseok.' },
  ],
});

// A story whose summary carries the query's words and characters Discord would read as markdown.
const alertXml = rssFeed({
  title: 'Asia Desk',
  link: 'https://asia.example/',
  items: [
    {
      title: 'North Korea fires missile over Japan',
      guid: 'm1',
      link: 'https://asia.example/missile?partner=rss&emc=rss',
      description: '<p>North Korea launched a *ballistic* missile on Tuesday, officials in Tokyo said.</p><p>Kim Jong Un watched the launch.</p>',
      pubDate: 'Tue, 25 Nov 2026 07:30:00 GMT',
      image: 'https://asia.example/missile.jpg',
    },
    { title: 'Typhoon nears Okinawa', guid: 'm2', link: 'https://asia.example/typhoon', description: 'Winds reach 180 km/h.' },
    { title: 'Headline only', guid: 'm3', link: 'https://asia.example/only' },
  ],
});

let dir: string;
let file: string;
let server: FeedServer;
let herald: BuiltHerald;
beforeAll(async () => {
  herald = buildHerald(); // `npm run herald` and `npm start` run the compiled JavaScript
  dir = mkdtempSync(join(tmpdir(), 'herald-cli-'));
  file = join(dir, 'feed.xml');
  writeFileSync(file, feedXml);
  server = await startFeedServer();
  server.set('/feed.xml', feedXml, { contentType: 'application/rss+xml' });
  server.set('/asia.xml', alertXml, { contentType: 'application/rss+xml' });
}, 180_000);
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function check(options: Parameters<typeof runCheck>[0]) {
  const lines: string[] = [];
  const code = await runCheck(options, (line) => lines.push(line));
  return { code, lines };
}

describe('herald check', () => {
  it('refuses a gzip bomb with a clear error instead of running out of memory (issue 8, finding 5)', async () => {
    const bomb = join(dir, 'bomb.xml');
    writeFileSync(bomb, gzipSync(Buffer.alloc(50 * 1024 * 1024, '&'), { level: 9 }));
    const { code, lines } = await check({ target: bomb, json: true });
    expect(code).toBe(1);
    expect(JSON.parse(lines[0]!).error).toBe('the feed is larger than the 5 MB limit once decompressed');
  });

  it('parses in a worker thread when run the way npm run herald runs it (tsx)', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'check', file, '--json'], { encoding: 'utf8', env: { ...process.env, ALLOW_PRIVATE_ADDRESSES: '' } });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.trim().split('\n').map((l) => JSON.parse(l).id)).toEqual(['a', 'b', 'c']);
  });

  it('prints a local file as JSON lines with canonical links', async () => {
    const { code, lines } = await check({ target: file, json: true });
    expect(code).toBe(0);
    const items = lines.map((l) => JSON.parse(l));
    expect(items.map((i) => i.id)).toEqual(['a', 'b', 'c']);
    expect(items[0]).toMatchObject({ title: 'North Korea leader meets families of soldiers', link: 'https://news.example/a?id=7', published: '2026-11-25T07:30:00.000Z', image: 'https://news.example/a.jpg' });
    expect(items[1].published).toBeNull();
    expect(items[0]).not.toHaveProperty('matched');
  });

  it('matches a query on word boundaries, over HTTP', async () => {
    const { code, lines } = await check({ target: server.url('/feed.xml'), json: true, query: 'North Korea, Korea', allowPrivateAddresses: true });
    expect(code).toBe(0);
    const items = lines.map((l) => JSON.parse(l));
    expect(items.map((i) => i.matched)).toEqual([true, true, false]);
    expect(items[0].terms.length).toBeGreaterThan(0);
    expect(items[2].terms).toEqual([]);
  });

  it('prints readable text without --json', async () => {
    const { code, lines } = await check({ target: file, query: 'North Korea' });
    expect(code).toBe(0);
    expect(lines[0]).toContain('World News — 3 items');
    expect(lines.join('\n')).toContain('1 of 3 items match.');
    expect(lines.join('\n')).toMatch(/✔ \[.*\] North Korea leader/);
  });

  it('reports failures as one error line and a non-zero exit', async () => {
    const badQuery = await check({ target: file, json: true, query: '"unclosed' });
    expect(badQuery.code).not.toBe(0);
    expect(badQuery.lines).toHaveLength(1);
    expect(JSON.parse(badQuery.lines[0]!).error).toMatch(/quote/);

    const missing = await check({ target: server.url('/nope.xml'), json: true, allowPrivateAddresses: true });
    expect(missing.code).not.toBe(0);
    expect(JSON.parse(missing.lines[0]!).error).toMatch(/404/);

    const guarded = await check({ target: server.url('/feed.xml'), json: true });
    expect(guarded.code).not.toBe(0);
    expect(JSON.parse(guarded.lines[0]!).error).toMatch(/private|loopback|refused/i);

    writeFileSync(join(dir, 'page.html'), '<!doctype html><html><body>hi</body></html>');
    const html = await check({ target: join(dir, 'page.html') });
    expect(html.code).not.toBe(0);
    expect(html.lines[0]).toMatch(/^error: .*HTML/);
  });

  it('runs as npm run herald, exiting non-zero with one JSON error line', () => {
    const run = spawnSync(process.execPath, [herald.cli, 'check', join(dir, 'missing.xml'), '--json'], { encoding: 'utf8', env: { ...process.env, ALLOW_PRIVATE_ADDRESSES: '' } });
    expect(run.status).toBe(1);
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(run.stdout).error).toMatch(/no such file/);
    const usage = spawnSync(process.execPath, [herald.cli], { encoding: 'utf8' });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('Usage: npm run herald -- check');
  });
});

describe('herald check: the alert as it would be posted', () => {
  it('--render draws each alert: headline, link, summary with the matched words in bold, fields, image, footer, time', async () => {
    const { code, lines } = await check({ target: server.url('/asia.xml'), query: 'North Korea', render: true, allowPrivateAddresses: true });
    expect(code).toBe(0);
    const out = lines.join('\n');
    const first = out.slice(out.indexOf('── 1/3'), out.indexOf('── 2/3'));
    expect(first).toContain('✔ would be posted');
    expect(first).toContain('Asia Desk <https://asia.example/>');
    expect(first).toContain('**North Korea** fires missile over Japan');
    expect(first).toContain('https://asia.example/missile\n'); // tracking parameters gone
    // The summary as a reader sees it: bold terms, the feed's own asterisks shown as asterisks (no escapes).
    expect(first).toContain('**North Korea** launched a *ballistic* missile on Tuesday, officials in Tokyo said.');
    expect(first).not.toContain('\\');
    expect(first).toContain('Matched: **North Korea**');
    expect(first).toContain('image: https://asia.example/missile.jpg');
    expect(first).toMatch(/Asia Desk · rate with .* · 2026-11-25T07:30:00\.000Z/);
    const second = out.slice(out.indexOf('── 2/3'), out.indexOf('── 3/3'));
    expect(second).toContain('not posted: no phrase present');
    expect(second).toContain('Winds reach 180 km/h.');
    expect(second).not.toContain('**');
    expect(out.slice(out.indexOf('── 3/3'))).toContain('(no summary)');
  });

  it('--render in a terminal draws bold with ANSI escapes and lets no control character from the feed through', async () => {
    writeFileSync(join(dir, 'ansi.xml'), rssFeed({ title: 'T', items: [{ title: 'Kyiv \u001b[31mred\u001b[0m news', guid: 'x', description: 'Kyiv today.' }] }));
    const { lines } = await check({ target: join(dir, 'ansi.xml'), query: 'Kyiv', render: true, ansi: true });
    const out = lines.join('\n');
    expect(out).toContain('\u001b[1mKyiv\u001b[22m today.');
    expect(out).not.toContain('\u001b[31m');
  });

  it('--json lines carry the summary and exactly the embed AlertService.compose queues for the same item', async () => {
    const query = 'North Korea, Kim';
    const { code, lines } = await check({ target: server.url('/asia.xml'), query, json: true, allowPrivateAddresses: true });
    expect(code).toBe(0);
    const printed = lines.map((l) => JSON.parse(l) as { id: string; matched: boolean; summary: string; embed: Record<string, unknown> });

    // The bot's path: the same feed parsed, a subscription with the same query, AlertService.compose.
    const parsed = await parseFeed(new TextEncoder().encode(alertXml), { url: server.url('/asia.xml') });
    if (!parsed.ok) throw parsed.error;
    const now = new Date('2026-11-25T08:00:00Z');
    const record = blankFeedRecord(server.url('/asia.xml'), parsed.feed.title, parsed.feed.siteUrl, now);
    const store = await openStore('memory://');
    const subscriptions = new SubscriptionService({ store, log: silentLogger, clock: () => now, maxPerGuild: 50 });
    await subscriptions.create({ guildId: 'g1', channelId: 'c1', queryText: query, userId: 'u1' });
    const no = () => Promise.reject(new Error('no sends here'));
    const alerts = new AlertService({ store, subscriptions, feeds: { isFollowedBy: () => true }, rest: { post: no, patch: no, put: no, delete: no }, log: silentLogger, clock: () => now });
    onTestFinished(() => alerts.close());

    const missile = printed.find((p) => p.id === 'm1')!;
    const [entry] = await alerts.compose(record, parsed.feed.items.find((i) => i.id === 'm1')!);
    expect(missile.matched).toBe(true);
    expect(missile.embed).toEqual(JSON.parse(JSON.stringify(entry!.embed)));
    expect(missile.summary).toBe('North Korea launched a *ballistic* missile on Tuesday, officials in Tokyo said. Kim Jong Un watched the launch.');

    // Items that match nothing are rendered with no matched terms; an item without text has no summary.
    const typhoon = printed.find((p) => p.id === 'm2')!;
    expect(typhoon.matched).toBe(false);
    expect(typhoon.summary).toBe('Winds reach 180 km/h.');
    expect(JSON.stringify(typhoon.embed)).not.toContain('Matched');
    expect(printed.find((p) => p.id === 'm3')!.summary).toBe('');
  });

  it('reads the article page of an item that gives only a headline, as the bot does; --no-articles leaves it', async () => {
    const lead = 'The council approved the harbour tunnel on Monday after a decade of debate.';
    server.set('/story/tunnel', `<!doctype html><html><head><meta charset="utf-8"><meta property="og:image" content="${server.url('/img/tunnel.jpg')}"><title>Tunnel</title></head><body><nav><a href="/">Home</a> <a href="/news">News</a></nav><article><h1>Harbour tunnel approved</h1><p class="byline">By Ann Lee</p><p>${lead}</p><p>Work starts next spring and is expected to take four years, the council said.</p></article></body></html>`, { contentType: 'text/html; charset=utf-8' });
    server.set('/titles.xml', rssFeed({ title: 'Harbour Post', link: 'https://harbour.example/', items: [{ title: 'Harbour tunnel approved', guid: 't1', link: server.url('/story/tunnel') }, { title: 'Ferry timetable', guid: 't2', link: server.url('/story/ferry'), description: 'The winter timetable for the harbour ferries starts on Sunday, with fewer sailings at night.' }] }), { contentType: 'application/rss+xml' });
    const pageReads = () => server.hits('/story/tunnel');

    const before = pageReads();
    const read = await check({ target: server.url('/titles.xml'), json: true, query: 'tunnel', allowPrivateAddresses: true });
    expect(read.code).toBe(0);
    const [tunnel, ferry] = read.lines.map((line) => JSON.parse(line));
    expect(tunnel.summary).toContain(lead);
    expect(tunnel.summary).not.toMatch(/Home|By Ann Lee/);
    expect(tunnel.embed.description).toContain('**tunnel**');
    expect(JSON.stringify(tunnel.embed)).toContain(server.url('/img/tunnel.jpg'));
    expect(pageReads()).toBe(before + 1);
    // not matched, so not posted: its page is never read (and it has its own text anyway)
    expect(ferry.matched).toBe(false);
    expect(server.hits('/story/ferry')).toBe(0);

    const rendered = await check({ target: server.url('/titles.xml'), render: true, query: 'tunnel', allowPrivateAddresses: true });
    expect(rendered.lines.join('\n')).toContain(lead.replace('tunnel', '**tunnel**'));

    const without = await check({ target: server.url('/titles.xml'), json: true, query: 'tunnel', allowPrivateAddresses: true, articles: false });
    expect(JSON.parse(without.lines[0]!).summary).toBe('');
    expect(pageReads()).toBe(before + 2); // only the render run read it again (a fresh cache per run)
  });

  it('says why an article page was not read, and still prints the alert', async () => {
    server.set('/gone.xml', rssFeed({ title: 'Gone Post', link: 'https://gone.example/', items: [{ title: 'Harbour tunnel opens', guid: 'g1', link: server.url('/story/missing') }] }), { contentType: 'application/rss+xml' });
    const { code, lines } = await check({ target: server.url('/gone.xml'), json: true, allowPrivateAddresses: true });
    expect(code).toBe(0);
    const item = JSON.parse(lines[0]!);
    expect(item.enrichError).toMatch(/404/);
    expect(item.embed.title).toContain('Harbour tunnel opens');
  });

  it('applies an enrich step before building the alert, and keeps the item as parsed when it fails', async () => {
    const enrich = async (item: FeedItem): Promise<FeedItem> => {
      if (item.id === 'm2') throw new Error('article fetch timed out');
      if (item.id !== 'm3') return item;
      return { ...item, summaryHtml: '<p>From the article page.</p>', summaryText: 'From the article page.', image: 'https://asia.example/og.jpg' };
    };
    const { lines } = await check({ target: server.url('/asia.xml'), json: true, enrich, allowPrivateAddresses: true });
    const printed = lines.map((l) => JSON.parse(l) as { id: string; summary: string; embed: { thumbnail?: { url: string } }; enrichError?: string });
    const only = printed.find((p) => p.id === 'm3')!;
    expect(only.summary).toBe('From the article page.');
    expect(only.embed.thumbnail?.url).toBe('https://asia.example/og.jpg');
    const failed = printed.find((p) => p.id === 'm2')!;
    expect(failed.summary).toBe('Winds reach 180 km/h.');
    expect(failed.enrichError).toBe('article fetch timed out');
  });

  it('ends quietly when its output pipe closes early (| head -1): exit 0, no EPIPE stack trace', async () => {
    const many = join(dir, 'many.xml');
    // Far more output than a pipe buffers, so the CLI is still writing when the reader goes away.
    const items = Array.from({ length: 1500 }, (_, i) => ({ title: `Story ${i} about North Korea`, guid: `s${i}`, link: `https://news.example/${i}`, description: `Text ${i} about North Korea and its neighbours.` }));
    writeFileSync(many, rssFeed({ title: 'Many', items }));
    const child = spawn(process.execPath, [herald.cli, 'check', many, '--json'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ALLOW_PRIVATE_ADDRESSES: '' } });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const firstLine = await new Promise<string>((resolve, reject) => {
      let buffered = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        buffered += chunk;
        const nl = buffered.indexOf('\n');
        if (nl >= 0) {
          child.stdout.destroy(); // what head does after its line
          resolve(buffered.slice(0, nl));
        }
      });
      child.on('error', reject);
    });
    expect(JSON.parse(firstLine).id).toBe('s0');
    expect(await exited).toBe(0);
    expect(stderr).not.toMatch(/EPIPE|Error|\bat .*:\d+:\d+/);
  });
});

// The whole corpus is parsed by test/feeds/parse/corpus.test.ts; here the CLI's output shape is checked on a handful:
// the first file of each kind in the manifest (atom, rss2, rdf, json, encoding, malformed, other).
describe('herald check on a sample of corpus feeds', () => {
  const corpus = join(process.cwd(), '..', 'shared', 'feeds');
  const manifest = join(corpus, 'MANIFEST.tsv');
  const present = (() => {
    try {
      return readFileSync(manifest, 'utf8');
    } catch {
      return null;
    }
  })();

  it.skipIf(!present)('prints items or one error line for each file, never a stack trace (needs ../shared/feeds)', async () => {
    const byKind = new Map<string, string>();
    for (const line of present!.trim().split('\n').slice(1)) {
      const [path, , , , kind] = line.split('\t');
      if (path && kind && !byKind.has(kind)) byKind.set(kind, path);
    }
    const sample = [...byKind.entries()];
    expect(sample.length).toBeGreaterThanOrEqual(5);
    const parsers = new ParsePool({ threads: 1 });
    onTestFinished(() => parsers.close());
    for (const [kind, path] of sample) {
      // corpus items link to real sites: never read their pages from a test
      const { code, lines } = await check({ target: join(corpus, path), json: true, parsers, articles: false });
      if (code === 0) {
        for (const line of lines) expect(Object.keys(JSON.parse(line))).toEqual(expect.arrayContaining(['id', 'title', 'link', 'published', 'image', 'author', 'categories']));
      } else {
        expect(lines, path).toHaveLength(1);
        const { error } = JSON.parse(lines[0]!);
        expect(error, path).toMatch(/^[^\n]+$/);
        expect(error, path).not.toMatch(/\bat .*:\d+:\d+/);
      }
      // Well-formed feeds of the main formats print their items.
      if (['atom', 'rss2', 'rdf', 'json'].includes(kind)) expect(code, path).toBe(0);
    }
  });
});
