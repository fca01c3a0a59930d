// Runs parseFeed over every document in ../shared/feeds (real feeds from nine projects' test suites),
// prints the figures and asserts the targets. Skipped, with a message, when the corpus is absent.
import { existsSync, readFileSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FeedParseError, parseFeed, type ParseResult } from '../../../src/feeds/parse/feed.js';

function findCorpus(): string | null {
  const candidates = [
    fileURLToPath(new URL('../../../../shared/feeds/', import.meta.url)),
    resolve(process.cwd(), '../shared/feeds') + '/',
  ];
  return candidates.find((d) => existsSync(d + 'MANIFEST.tsv')) ?? null;
}

interface Row {
  path: string;
  kind: string;
  format: string;
  declaredEncoding: string;
  wellformed: boolean;
  realWorld: boolean;
  news: boolean;
}

const dir = findCorpus();

describe('feed corpus (../shared/feeds)', () => {
  if (!dir) {
    it.skip('corpus not found: ../shared/feeds/MANIFEST.tsv is absent, so the corpus figures are not checked', () => {});
    return;
  }

  it('meets the parsing targets', async () => {
    const lines = readFileSync(dir + 'MANIFEST.tsv', 'utf8').trim().split('\n');
    const header = lines[0]!.split('\t');
    const col = (name: string): number => {
      const i = header.indexOf(name);
      if (i < 0) throw new Error(`MANIFEST.tsv has no column ${name}`);
      return i;
    };
    const [cPath, cKind, cFormat, cDecl, cWf, cReal, cNews] = [
      'path', 'kind', 'format', 'declared_encoding', 'wellformed_xml', 'real_world', 'news',
    ].map(col) as [number, number, number, number, number, number, number];
    const rows: Row[] = lines.slice(1).map((l) => {
      const f = l.split('\t');
      return {
        path: f[cPath]!,
        kind: f[cKind]!,
        format: f[cFormat]!,
        declaredEncoding: f[cDecl]!,
        wellformed: f[cWf] === '1',
        realWorld: f[cReal] === '1',
        news: f[cNews] === '1',
      };
    });

    const perKind = new Map<string, { files: number; withItems: number; okEmpty: number; errors: number }>();
    const reasons = new Map<string, number>();
    const fffdFiles: string[] = [];
    const undetectableFffd: string[] = [];
    const thrown: string[] = [];
    const badErrors: string[] = [];
    const realMisses: string[] = [];
    let realFeeds = 0;
    let realYield = 0;
    let newsFeeds = 0;
    let newsYield = 0;
    let totalItems = 0;
    let bytes = 0;
    let slowest = { path: '', ms: 0 };
    const t0 = performance.now();

    for (const row of rows) {
      const file = dir + row.path;
      if (!existsSync(file)) continue;
      const body = readFileSync(file);
      bytes += body.byteLength;
      const s = performance.now();
      let res: ParseResult;
      try {
        res = await parseFeed(body, { url: 'https://corpus.example/feed' });
      } catch (e) {
        thrown.push(`${row.path}: ${String(e)}`);
        continue;
      }
      const ms = performance.now() - s;
      if (ms > slowest.ms) slowest = { path: row.path, ms };

      const k = perKind.get(row.kind) ?? { files: 0, withItems: 0, okEmpty: 0, errors: 0 };
      k.files++;
      perKind.set(row.kind, k);

      const hasItems = res.ok && res.feed.items.length > 0;
      if (res.ok) {
        totalItems += res.feed.items.length;
        if (hasItems) k.withItems++;
        else k.okEmpty++;
        const fffd = res.feed.items.filter((i) => i.title.includes('\ufffd')).length;
        if (fffd > 0) {
          // "declared or detectable": a declared charset, a BOM (declared_encoding names it) or valid UTF-8.
          // A file that itself contains U+FFFD (EF BF BD) is the publisher's, not a decoding failure.
          const literal = body.includes(Buffer.from([0xef, 0xbf, 0xbd]));
          const detectable = row.declaredEncoding !== '-' || isUtf8(body);
          if (detectable && !literal) fffdFiles.push(`${row.path} (${fffd} titles, decoded as ${res.encoding})`);
          else undetectableFffd.push(`${row.path}${literal ? ' (U+FFFD in the source)' : ' (no charset declared)'}`);
        }
      } else {
        k.errors++;
        const e = res.error;
        if (!(e instanceof FeedParseError) || !e.message || /[\r\n]/.test(e.message)) badErrors.push(row.path);
        const key = `${e.code}: ${e.message.replace(/<[^>]*>/g, '<…>').slice(0, 90)}`;
        reasons.set(key, (reasons.get(key) ?? 0) + 1);
      }

      // Target population: real-world, well-formed documents that are feeds (kind "other" holds
      // OPML, HTML, CDF and other non-feeds that are expected to come back as typed errors).
      if (row.realWorld && row.wellformed && row.kind !== 'other') {
        realFeeds++;
        if (hasItems) realYield++;
        else realMisses.push(`${row.path} → ${res.ok ? 'no items' : res.error.code + ': ' + res.error.message}`);
        if (row.news) {
          newsFeeds++;
          if (hasItems) newsYield++;
        }
      }
    }
    const totalMs = performance.now() - t0;

    const pct = (a: number, b: number): string => (b ? ((100 * a) / b).toFixed(1) : '—') + '%';
    const out: string[] = [];
    out.push(`feed corpus: ${rows.length} files, ${(bytes / 1e6).toFixed(1)} MB, ${totalItems} items in ${totalMs.toFixed(0)} ms (slowest ${slowest.ms.toFixed(1)} ms: ${slowest.path})`);
    out.push('kind         files  items  ok-empty  errors');
    for (const [kind, k] of [...perKind].sort()) {
      out.push(`${kind.padEnd(12)} ${String(k.files).padStart(5)} ${String(k.withItems).padStart(6)} ${String(k.okEmpty).padStart(9)} ${String(k.errors).padStart(7)}`);
    }
    out.push(`real-world well-formed feeds yielding items: ${realYield}/${realFeeds} = ${pct(realYield, realFeeds)} (news feeds: ${newsYield}/${newsFeeds})`);
    for (const m of realMisses) out.push(`  miss: ${m}`);
    out.push(`titles with U+FFFD where the charset is declared or detectable: ${fffdFiles.length} files`);
    for (const f of fffdFiles) out.push(`  U+FFFD: ${f}`);
    for (const f of undetectableFffd) out.push(`  (not counted) U+FFFD: ${f}`);
    out.push('error reasons:');
    for (const [r, n] of [...reasons].sort((a, b) => b[1] - a[1])) out.push(`  ${String(n).padStart(4)}  ${r}`);
    console.log(out.join('\n'));

    expect(thrown, 'parseFeed threw / rejected').toEqual([]);
    expect(badErrors, 'errors without a one-line FeedParseError message').toEqual([]);
    expect(realYield / realFeeds).toBeGreaterThanOrEqual(0.99);
    expect(fffdFiles).toEqual([]);
  });
});
