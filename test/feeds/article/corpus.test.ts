// The article corpus: 27 real news pages (../shared/articles, from Mozilla Readability's test suite) with the article
// Readability is expected to find. For each page, the alert summary built from our extraction must start with a
// sentence of the story itself: present in the expected article text, and free of navigation, bylines, timestamps,
// cookie and share text. Prints per-page results and the extraction time (a measurement, not an assertion).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseHTML } from 'linkedom';
import { describe, expect, it } from 'vitest';
import { summarize, SUMMARY_MAX_CHARS } from '../../../src/alerts/summary.js';
import { inThreadArticleExtractor } from '../../../src/feeds/parse/pool.js';

const DIR = resolve(import.meta.dirname, '../../../../shared/articles');
const present = existsSync(DIR);
if (!present) console.log(`article corpus test skipped: ${DIR} is absent (it holds the real article pages)`);

/** Whitespace removed entirely: extraction and Readability's expected HTML break lines and indent differently. */
const squash = (text: string): string => text.replace(/[\s\u00a0\u200b]+/g, '');

/** Detectors written apart from the code under test (src/feeds/article/furniture.ts), so the test can disagree. */
const DETECTORS: Array<[name: string, test: (sentence: string) => boolean]> = [
  ['navigation', (s) => (s.match(/\p{Ll}\p{Lu}/gu)?.length ?? 0) >= 3 || /\b(?:Home|News|Sport|Business|Menu|Search)\s*(?:\||›|»|>)/.test(s) || /\bskip to\b/i.test(s)],
  ['byline', (s) => /^\s*(?:by|von|par|por)\s+\p{Lu}/iu.test(s) || /\b(?:staff|senior) (?:writer|reporter)\b.*\bupdated\b/i.test(s) || /\bBY [A-Z]{2,}(?: [A-Z]{2,})* STAFF\b/.test(s)],
  ['timestamp', (s) => /\b\d{1,2}[:.]\d{2}\s*(?:[ap]\.?m\.?)?\s*(?:ET|EST|EDT|PT|GMT|BST|UTC|CET)\b/i.test(s) || /\b(?:updated|published|posted)\s*:?\s*\d/i.test(s) || /\d{4}年\d{1,2}月\d{1,2}日\d{1,2}:\d{2}/.test(s)],
  ['photo credit', (s) => /^\s*(?:©|(?:photo|image|credit)\b)/i.test(s) || /\bPhoto (?:Photo|by|Credit)\b/.test(s) || /\b(?:Getty Images|AFP\/|Source: Supplied)|\((?:Bild|Foto|Photo): /.test(s) || /^\s*\d+\s*\/\s*\d+\b/.test(s)],
  ['label', (s) => /^\s*(?:EXCLUSIVE|BREAKING|LIVE|UPDATED)\b/.test(s) || /^(?:Biz & IT|Tech|Opinion|Analysis)\s+—/.test(s)],
  ['cookie', (s) => /\bcookies?\b/i.test(s) && /\b(?:accept|use|policy|consent)\b/i.test(s)],
  ['share', (s) => /\bshare (?:this|on|via)\b/i.test(s) || /\b(?:facebook|twitter|email|whatsapp)\b.*\b(?:facebook|twitter|email|whatsapp|pinterest)\b/i.test(s) || /\bsign up for\b/i.test(s) || /转播到|分享/.test(s)],
];

const sentences = new Intl.Segmenter('en', { granularity: 'sentence' });
const firstSentence = (text: string): string => ([...sentences.segment(text)][0]?.segment ?? '').trim();

interface PageResult {
  name: string;
  ms: number;
  sentence: string;
  inArticle: boolean;
  furniture: string[];
  image: string | null;
}

async function runPage(name: string): Promise<PageResult> {
  const source = readFileSync(join(DIR, name, 'source.html'));
  const expected = squash(parseHTML(readFileSync(join(DIR, name, 'expected.html'), 'utf8')).document.documentElement?.textContent ?? '');
  const metadata = JSON.parse(readFileSync(join(DIR, name, 'expected-metadata.json'), 'utf8')) as { title?: string };
  const started = performance.now();
  // The corpus files are stored as UTF-8 whatever their <meta charset> says (qq.com declares gb2312), so the test says
  // so the way a server would, in the Content-Type header.
  const out = await inThreadArticleExtractor(source, { contentType: 'text/html; charset=utf-8', url: `https://news.example/${name}/story`, maxChars: SUMMARY_MAX_CHARS });
  const ms = performance.now() - started;
  const text = out.ok ? out.text : '';
  const sentence = firstSentence(summarize(text, { title: metadata.title ?? '' }));
  return {
    name,
    ms,
    sentence,
    // a first sentence longer than the summary is cut at a word with an ellipsis: what is left must be the story's
    inArticle: sentence.length > 0 && expected.includes(squash(sentence.replace(/…$/, ''))),
    furniture: DETECTORS.filter(([, test]) => test(sentence)).map(([kind]) => kind),
    image: out.ok ? out.image : null,
  };
}

describe.skipIf(!present)('article corpus (../shared/articles): the summary starts with the story', () => {
  const names = present ? readdirSync(DIR).filter((name) => existsSync(join(DIR, name, 'source.html'))).sort() : [];

  it('the detectors catch the furniture seen on real pages', () => {
    const caught = (s: string) => DETECTORS.filter(([, test]) => test(s)).map(([kind]) => kind);
    expect(caught('1:39 PM ET The president spoke.')).toContain('timestamp');
    expect(caught('Highlights Photo Photo The storm hit.')).toContain('photo credit');
    expect(caught('BY TMZ STAFF EXCLUSIVE Kanye West is back.')).toContain('byline');
    expect(caught('Watch LiveBritish Broadcasting CorporationHomeNewsSport Obama spoke.')).toContain('navigation');
    expect(caught('We use cookies; accept to continue.')).toContain('cookie');
    expect(caught('Share this on Facebook Twitter Email')).toContain('share');
    expect(caught('The minister resigned on Tuesday after a week of protests.')).toEqual([]);
  });

  it('every page: the first sentence is in the expected article and carries no furniture', { timeout: 120_000 }, async () => {
    expect(names.length).toBeGreaterThanOrEqual(20);
    const results: PageResult[] = [];
    for (const name of names) results.push(await runPage(name));
    const clean = results.filter((r) => r.inArticle && r.furniture.length === 0);
    for (const r of results) {
      const verdict = r.inArticle && r.furniture.length === 0 ? 'clean' : `BAD (${r.inArticle ? '' : 'not in article '}${r.furniture.join(', ')})`;
      console.log(`${r.name.padEnd(16)} ${r.ms.toFixed(0).padStart(5)} ms  ${verdict.padEnd(8)} ${r.image ? 'og:image ' : '         '}${r.sentence.slice(0, 110)}`);
    }
    const times = results.map((r) => r.ms).sort((a, b) => a - b);
    console.log(`article corpus: ${clean.length}/${results.length} pages clean (${((100 * clean.length) / results.length).toFixed(0)}%); extraction median ${times[Math.floor(times.length / 2)]!.toFixed(0)} ms, max ${times.at(-1)!.toFixed(0)} ms per page (in this thread, busy machine)`);
    expect(results.filter((r) => !r.inArticle).map((r) => `${r.name}: ${r.sentence}`)).toEqual([]);
    expect(results.filter((r) => r.furniture.length).map((r) => `${r.name} (${r.furniture.join(', ')}): ${r.sentence}`)).toEqual([]);
  });
});
