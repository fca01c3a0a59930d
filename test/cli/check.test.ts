import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { runCheck } from '../../src/cli/check.js';
import { ParsePool } from '../../src/feeds/parse/pool.js';
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
      const { code, lines } = await check({ target: join(corpus, path), json: true, parsers });
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
