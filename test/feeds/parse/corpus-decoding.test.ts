// Decodes every document in ../shared/feeds and counts the items whose text Herald mis-decoded: mojibake ("Ã¼",
// "â€™", "Ã©" — UTF-8 read as a single-byte charset) or U+FFFD that the file itself does not contain. Prints the
// figures; the target is 0. Skipped, with a message, when the corpus is absent.
import { existsSync, readFileSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { decodeFeedBytes } from '../../../src/feeds/parse/decode.js';
import { parseFeed } from '../../../src/feeds/parse/feed.js';
import { summaryTextOf } from '../../../src/feeds/parse/plain-text.js';

function findCorpus(): string | null {
  const candidates = [
    fileURLToPath(new URL('../../../../shared/feeds/', import.meta.url)),
    resolve(process.cwd(), '../shared/feeds') + '/',
  ];
  return candidates.find((d) => existsSync(d + 'MANIFEST.tsv')) ?? null;
}

// windows-1252 as decoded by a single-byte reader, for bytes 0x80–0x9F (the C1 range mojibake passes through).
const CP1252_C1 = '\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u017d\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u017e\u0178';
/** A UTF-8 continuation byte (0x80–0xBF) as latin-1 or windows-1252 shows it. */
const CONT = `[\\u0080-\\u00bf${CP1252_C1}]`;
/** UTF-8 two- and three-byte sequences read one byte per character ("Ã¼", "â€™"), and U+FFFD. */
const MOJIBAKE = new RegExp(`[\\u00c2-\\u00df]${CONT}|[\\u00e0-\\u00ef]${CONT}{2}|\\ufffd`, 'g');
/** Up to this many letters either side of a hit make it specific enough to look for in the file. */
const CONTEXT = 6;

// HTML's Latin-1 entity names, U+00A0…U+00FF in order ("&acirc;&#128;&brvbar;" is how one feed double-encodes "…").
const LATIN1_NAMES = 'nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 sup3 acute micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest Agrave Aacute Acirc Atilde Auml Aring AElig Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde Ouml times Oslash Ugrave Uacute Ucirc Uuml Yacute THORN szlig agrave aacute acirc atilde auml aring aelig ccedil egrave eacute ecirc euml igrave iacute icirc iuml eth ntilde ograve oacute ocirc otilde ouml divide oslash ugrave uacute ucirc uuml yacute thorn yuml'.split(' ');
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
LATIN1_NAMES.forEach((name, i) => (NAMED[name] = String.fromCharCode(0xa0 + i)));
/** Character references decoded, twice (feeds escape their HTML, so "&amp;#8217;" is one character to a reader). */
function unescaped(text: string): string {
  let out = text;
  for (let pass = 0; pass < 2; pass++) {
    out = out.replace(/&(?:#(\d{1,7})|#x([0-9a-f]{1,6})|([a-z]{2,6}));/gi, (whole, dec?: string, hex?: string, name?: string) => {
      const cp = dec ? Number(dec) : hex ? parseInt(hex, 16) : -1;
      if (cp >= 0) return cp <= 0x10ffff ? String.fromCodePoint(cp) : whole;
      return NAMED[name!] ?? whole;
    });
  }
  return out;
}

/** The hit with the letters around it ("confusiÃ³n" rather than "Ã³"), and with only those before or after it. */
function tokenAround(text: string, at: number, length: number): { whole: string; before: string; after: string } {
  let start = at;
  let end = at + length;
  while (start > 0 && at - start < CONTEXT && /\p{L}/u.test(text[start - 1]!)) start--;
  while (end < text.length && end - at - length < CONTEXT && /\p{L}/u.test(text[end]!)) end++;
  return { whole: text.slice(start, end), before: text.slice(start, at + length), after: text.slice(at, end) };
}

/** feedparser's undeclared chardet fixtures are named after their encoding. */
const CHARDET_FIXTURES: Record<string, string> = { big5: 'big5', eucjp: 'euc-jp', euckr: 'euc-kr', koi8r: 'koi8-r', shiftjis: 'shift_jis', tis620: 'tis-620' };

/** The encoding the corpus says a file is in (the chardet suite's directory names it when the file declares none). */
function knownEncoding(path: string, declared: string): string | null {
  let label = declared.replace(/\((?:no)?bom\)$/, '');
  if (label === '-') {
    const dir = /^chardet__chardet\/tests\/([^/]+)\//.exec(path)?.[1];
    const named = /\/illformed\/chardet\/([a-z0-9]+)\.xml$/.exec(path)?.[1];
    if (dir) label = dir.replace(/-(?:[a-z]+)$/, '').toLowerCase();
    else if (named) label = CHARDET_FIXTURES[named] ?? '-';
    else return null;
  }
  // The WHATWG decoders for these labels are supersets (what browsers, and Herald, use).
  const superset: Record<string, string> = {
    'iso-8859-1': 'windows-1252', ascii: 'windows-1252', 'euc-kr': 'cp949', gb2312: 'gb18030', big5: 'big5hkscs',
    'tis-620': 'windows-874', 'iso-8859-9': 'windows-1254', shift_jis: 'cp932',
  };
  label = superset[label] ?? label;
  return iconv.encodingExists(label) ? label : null;
}

/** The file's true text: UTF-16/32 as labelled, valid UTF-8 as UTF-8, else its known legacy encoding; null when unknown. */
function trueText(body: Buffer, path: string, declared: string): { text: string; encoding: string } | null {
  const known = knownEncoding(path, declared);
  if (known && /^utf-(?:16|32)/.test(known)) return { text: iconv.decode(body, known, { stripBOM: true }), encoding: known };
  if (isUtf8(body)) return { text: body.toString('utf8').replace(/^\ufeff/, ''), encoding: 'utf-8' };
  return known ? { text: iconv.decode(body, known, { stripBOM: true }), encoding: known } : null;
}

const dir = findCorpus();

describe('decoding over the feed corpus (../shared/feeds)', () => {
  if (!dir) {
    it.skip('corpus not found: ../shared/feeds/MANIFEST.tsv is absent, so mis-decoding is not measured', () => {});
    console.log('corpus-decoding: skipped, ../shared/feeds/MANIFEST.tsv not found');
    return;
  }

  it('introduces no mojibake or U+FFFD into any item', async () => {
    const lines = readFileSync(dir + 'MANIFEST.tsv', 'utf8').trim().split('\n');
    const header = lines[0]!.split('\t');
    const cPath = header.indexOf('path');
    const cDecl = header.indexOf('declared_encoding');
    expect(cPath, 'MANIFEST.tsv has path and declared_encoding columns').toBeGreaterThanOrEqual(0);
    expect(cDecl).toBeGreaterThanOrEqual(0);

    const perEncoding = new Map<string, { files: number; differ: number; items: number; bad: number }>();
    const differing: string[] = [];
    const badItems: string[] = [];
    const excused: string[] = [];
    let files = 0;
    let items = 0;
    let unknownTruth = 0;

    for (const line of lines.slice(1)) {
      const f = line.split('\t');
      const path = f[cPath]!;
      const declared = f[cDecl]!;
      if (!existsSync(dir + path)) continue;
      let body = readFileSync(dir + path);
      if (body[0] === 0x1f && body[1] === 0x8b) body = gunzipSync(body);
      files++;
      const group = declared === '-' ? '(undeclared)' : declared;
      const g = perEncoding.get(group) ?? { files: 0, differ: 0, items: 0, bad: 0 };
      g.files++;
      perEncoding.set(group, g);

      // Whole-file figure: does Herald's text equal the file's true text?
      const truthRead = trueText(body, path, declared);
      const truth = truthRead?.text ?? null;
      const decoded = decodeFeedBytes(body);
      if (truth === null) unknownTruth++;
      else if (decoded.text !== truth) {
        g.differ++;
        differing.push(`${path} (true: ${truthRead!.encoding}, Herald: ${decoded.encoding})`);
      }

      // Item figure: mojibake in what an alert shows (title and summary text) that the file does not hold itself.
      const res = await parseFeed(body, { url: 'https://corpus.example/feed' });
      if (!res.ok) continue;
      // What the file holds, as a reader would see it: read as UTF-8 (double-encoded bytes stay double-encoded) and,
      // for legacy files, in their true encoding.
      const rawUtf8 = unescaped(body.toString('utf8'));
      const truthText = truth === null ? null : unescaped(truth);
      const literalFffd = body.includes(Buffer.from([0xef, 0xbf, 0xbd]));
      for (const item of res.feed.items) {
        items++;
        g.items++;
        const text = `${item.title}\n${summaryTextOf(item)}`;
        const hits: string[] = [];
        for (const m of text.matchAll(MOJIBAKE)) {
          const token = tokenAround(text, m.index, m[0].length);
          // Markup may sit right next to the hit in the file ("â€œ<a …>personal"), so either side's letters will do.
          const inFile = (t: string): boolean => rawUtf8.includes(t) || (truthText?.includes(t) ?? false);
          const owned =
            m[0] === '\ufffd'
              ? literalFffd || (truth?.includes('\ufffd') ?? false)
              : inFile(token.whole) || inFile(token.before) || inFile(token.after);
          if (owned) excused.push(`${path}: ${JSON.stringify(token.whole)}`);
          else hits.push(token.whole);
        }
        if (hits.length > 0) {
          g.bad++;
          badItems.push(`${path} [${decoded.encoding}] ${JSON.stringify(item.title.slice(0, 60))}: ${hits.slice(0, 3).map((h) => JSON.stringify(h)).join(' ')}`);
        }
      }
    }

    const out: string[] = [];
    out.push(`decoding corpus: ${files} files, ${items} items; true encoding unknown for ${unknownTruth} files (undeclared, not UTF-8)`);
    out.push('declared            files  text≠truth  items  mis-decoded');
    for (const [enc, g] of [...perEncoding].sort()) {
      out.push(`${enc.padEnd(18)} ${String(g.files).padStart(6)} ${String(g.differ).padStart(11)} ${String(g.items).padStart(6)} ${String(g.bad).padStart(12)}`);
    }
    out.push(`items mis-decoded by Herald: ${badItems.length} of ${items}`);
    for (const b of badItems.slice(0, 40)) out.push(`  mis-decoded: ${b}`);
    out.push(`files whose decoded text differs from their true text: ${differing.length}`);
    for (const d of differing) out.push(`  differs: ${d}`);
    out.push(`mojibake already in the files (not counted): ${excused.length} hits`);
    for (const e of [...new Set(excused)].slice(0, 10)) out.push(`  (not counted) ${e}`);
    console.log(out.join('\n'));

    expect(badItems, 'items with mojibake or U+FFFD that Herald introduced').toEqual([]);
    expect(differing, 'files decoded to other text than their known encoding gives').toEqual([]);
    // ~20 s alone; the whole suite on a busy two-core machine has taken it past the default 30 s.
  }, 180_000);
});
