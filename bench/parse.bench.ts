// Feed parser throughput: the largest corpus files and a generated ~3 MB RSS feed.
// Run: npx tsx bench/parse.bench.ts   (or npm run bench -- parse)
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ParsePool } from '../src/feeds/parse/pool.js';
import { parseFeed, type FeedParser } from '../src/feeds/parse/feed.js';

const corpusDir = fileURLToPath(new URL('../../shared/feeds/', import.meta.url));

function generateRss(targetBytes: number): Uint8Array {
  const parts: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/">\n<channel><title>Bench News</title><link>https://news.example.com/</link><description>Generated</description>\n',
  ];
  let size = parts[0]!.length;
  for (let i = 0; size < targetBytes; i++) {
    const item = `<item>
  <title>  Story number ${i}: markets, weather &amp; politics in Pyongyang, São Paulo and Kyiv  </title>
  <link>https://news.example.com/world/story-${i}?utm_source=rss&amp;utm_medium=feed&amp;id=${i}</link>
  <guid isPermaLink="false">story-${i}</guid>
  <pubDate>Mon, 0${(i % 9) + 1} Jan 2024 1${i % 10}:0${i % 6}:00 GMT</pubDate>
  <dc:creator>Reporter ${i % 37}</dc:creator>
  <category>World</category><category>Politics</category>
  <description><![CDATA[<p>Paragraph one of story ${i}, with <b>bold</b> text and a <a href="https://example.com/x">link</a>. ${'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(8)}</p>]]></description>
  <content:encoded><![CDATA[<p><img src="https://img.example.com/${i}.jpg" width="640" height="360"></p><p>${'Sed ut perspiciatis unde omnis iste natus error sit voluptatem. '.repeat(14)}</p>]]></content:encoded>
  <media:thumbnail url="https://img.example.com/${i}-thumb.jpg" width="144" height="81"/>
</item>\n`;
    parts.push(item);
    size += item.length;
  }
  parts.push('</channel></rss>\n');
  return new TextEncoder().encode(parts.join(''));
}

async function bench(name: string, body: Uint8Array, contentType?: string, parse: FeedParser = parseFeed): Promise<void> {
  // warm-up
  let res = await parse(body, { contentType, url: 'https://bench.example/feed' });
  const runs = Math.max(3, Math.min(30, Math.round(20e6 / Math.max(body.byteLength, 1))));
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) res = await parse(body, { contentType, url: 'https://bench.example/feed' });
  const ms = (performance.now() - t0) / runs;
  const mb = body.byteLength / 1e6;
  const items = res.ok ? `${res.feed.items.length} items` : `error ${res.error.code}`;
  console.log(
    `${name.slice(-60).padEnd(60)} ${mb.toFixed(2).padStart(6)} MB ${ms.toFixed(1).padStart(8)} ms/parse ${(mb / (ms / 1000)).toFixed(1).padStart(6)} MB/s  ${items}`,
  );
}

const generated = generateRss(3 * 1024 * 1024);
await bench('generated RSS 2.0 (~3 MB)', generated, 'application/rss+xml; charset=utf-8');

// The same, through the parse worker pool as the bot does (copy to the worker, parse, items back).
const pool = new ParsePool({ threads: 1 });
await bench('generated RSS 2.0 (~3 MB), in a parse worker', generated, 'application/rss+xml; charset=utf-8', pool.parse);
const small = generateRss(20 * 1024);
await bench('generated RSS 2.0 (~20 KB)', small, 'application/rss+xml; charset=utf-8');
await bench('generated RSS 2.0 (~20 KB), in a parse worker', small, 'application/rss+xml; charset=utf-8', pool.parse);
await pool.close();

// A hostile body: 5 MB of unclosed comments after the items (was quadratic: ~40 min; now linear).
const comments = new TextEncoder().encode(new TextDecoder().decode(small).replace('</channel></rss>\n', '') + '<!--'.repeat(1_300_000));
await bench('5 MB of unclosed <!-- after the items', comments);

// The same feed with one stray "&": exercises the fallback path end to end.
const text = new TextDecoder().decode(generated).replace('Story number 5:', 'Story number 5 & a stray ampersand:');
await bench('generated RSS 2.0 (~3 MB), one stray &', new TextEncoder().encode(text));

if (existsSync(corpusDir + 'MANIFEST.tsv')) {
  const rows = readFileSync(corpusDir + 'MANIFEST.tsv', 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t'))
    .filter((r) => r[0] && existsSync(corpusDir + r[0]))
    .sort((a, b) => statSync(corpusDir + b[0]!).size - statSync(corpusDir + a[0]!).size)
    .slice(0, 8);
  for (const r of rows) await bench(r[0]!, readFileSync(corpusDir + r[0]!));

  // Whole corpus, once: total throughput.
  const all = readFileSync(corpusDir + 'MANIFEST.tsv', 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t')[0]!);
  const bodies = all.filter((p) => existsSync(corpusDir + p)).map((p) => readFileSync(corpusDir + p));
  const bytes = bodies.reduce((n, b) => n + b.byteLength, 0);
  const t0 = performance.now();
  for (const b of bodies) await parseFeed(b);
  const ms = performance.now() - t0;
  console.log(`whole corpus: ${bodies.length} files, ${(bytes / 1e6).toFixed(1)} MB in ${ms.toFixed(0)} ms (${(bytes / 1e6 / (ms / 1000)).toFixed(1)} MB/s, ${(ms / bodies.length).toFixed(2)} ms/file)`);
} else {
  console.log(`corpus not found at ${corpusDir}: skipped corpus files`);
}
