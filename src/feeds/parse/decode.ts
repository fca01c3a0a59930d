// Feed bytes → text. The order follows the XML/HTTP rules real readers use:
// BOM → (UTF-16/32 byte pattern) → Content-Type charset → XML declaration → valid UTF-8 → windows-1252.
import { isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';

/**
 * Labels whose WHATWG / de-facto decoder is a superset: servers say "iso-8859-1" or "gb2312"
 * and send windows-1252 or GBK bytes. Decoding with the superset never loses a valid character.
 */
const SUPERSETS: Record<string, string> = {
  'iso-8859-1': 'windows-1252',
  'iso8859-1': 'windows-1252',
  'iso_8859-1': 'windows-1252',
  latin1: 'windows-1252',
  'l1': 'windows-1252',
  'us-ascii': 'windows-1252',
  ascii: 'windows-1252',
  'ansi_x3.4-1968': 'windows-1252',
  cp1252: 'windows-1252',
  'x-cp1252': 'windows-1252',
  'iso-8859-9': 'windows-1254',
  'iso8859-9': 'windows-1254',
  'iso-8859-11': 'windows-874',
  'tis-620': 'windows-874',
  gb2312: 'gb18030',
  gbk: 'gb18030',
  'x-gbk': 'gb18030',
  'gb_2312-80': 'gb18030',
  'euc-cn': 'gb18030',
  'euc-kr': 'cp949',
  'ks_c_5601-1987': 'cp949',
  'ks_c_5601-1989': 'cp949',
  'windows-949': 'cp949',
  'shift_jis': 'shift_jis',
  'shift-jis': 'shift_jis',
  sjis: 'shift_jis',
  'x-sjis': 'shift_jis',
  'ms_kanji': 'shift_jis',
  'windows-31j': 'cp932',
  'big5': 'big5hkscs',
  'big5-hkscs': 'big5hkscs',
  'x-mac-cyrillic': 'maccyrillic',
  'x-mac-ukrainian': 'maccyrillic',
  'iso-8859-8-i': 'iso-8859-8',
  'utf8': 'utf-8',
  'unicode-1-1-utf-8': 'utf-8',
  'x-user-defined': 'windows-1252',
};

const UTF_FAMILY = /^(?:utf-?(?:16|32)(?:le|be)?|ucs-?2|ucs-?4|unicode)$/;

/** Normalises a charset label to an iconv-lite encoding name, or null when unknown. */
function normaliseCharset(label: string | null | undefined): string | null {
  if (!label) return null;
  let l = label.trim().replace(/^["']|["']$/g, '').trim().toLowerCase();
  if (!l) return null;
  l = SUPERSETS[l] ?? l;
  if (l === 'utf-8') return 'utf-8';
  try {
    return iconv.encodingExists(l) ? l : null;
  } catch {
    return null;
  }
}

function charsetFromContentType(contentType: string | null | undefined): string | null {
  if (!contentType) return null;
  const m = /charset\s*=\s*("?)([^";,\s]+)\1/i.exec(contentType);
  return m ? (m[2] ?? null) : null;
}

function charsetFromXmlDeclaration(body: Uint8Array): string | null {
  // The declaration is ASCII in every ASCII-compatible encoding; look at the head only.
  const head = Buffer.from(body.buffer, body.byteOffset, Math.min(body.byteLength, 1024)).toString('latin1');
  const decl = /^\s*<\?xml\s[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:\-]+)["']/.exec(head);
  if (decl) return decl[1] ?? null;
  // HTML pages served where a feed was expected: honour <meta charset> so error pages decode too.
  const meta = /<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9._:\-]+)/i.exec(head);
  return meta ? (meta[1] ?? null) : null;
}

function bomEncoding(b: Uint8Array): { enc: string; skip: number } | null {
  const [b0, b1, b2, b3] = [b[0], b[1], b[2], b[3]];
  if (b0 === 0xef && b1 === 0xbb && b2 === 0xbf) return { enc: 'utf-8', skip: 3 };
  if (b0 === 0x00 && b1 === 0x00 && b2 === 0xfe && b3 === 0xff) return { enc: 'utf-32be', skip: 4 };
  if (b0 === 0xff && b1 === 0xfe && b2 === 0x00 && b3 === 0x00) return { enc: 'utf-32le', skip: 4 };
  if (b0 === 0xfe && b1 === 0xff) return { enc: 'utf-16be', skip: 2 };
  if (b0 === 0xff && b1 === 0xfe) return { enc: 'utf-16le', skip: 2 };
  return null;
}

/** XML 1.0 Appendix F: a document without a BOM starts with `<` (or `<?xml`) in its own encoding. */
function utfPatternEncoding(b: Uint8Array): string | null {
  if (b.length < 4) return null;
  const [b0, b1, b2, b3] = [b[0], b[1], b[2], b[3]];
  if (b0 === 0 && b1 === 0 && b2 === 0 && b3 !== 0) return 'utf-32be';
  if (b0 !== 0 && b1 === 0 && b2 === 0 && b3 === 0) return 'utf-32le';
  if (b0 === 0 && b1 !== 0 && b2 === 0 && b3 !== 0) return 'utf-16be';
  if (b0 !== 0 && b1 === 0 && b2 !== 0 && b3 === 0) return 'utf-16le';
  return null;
}

function decodeWith(body: Uint8Array, enc: string, skip = 0): string {
  const view = skip ? body.subarray(skip) : body;
  if (enc === 'utf-8') {
    const text = Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString('utf8');
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }
  const text = iconv.decode(Buffer.from(view.buffer, view.byteOffset, view.byteLength), enc, { stripBOM: true });
  return text;
}

function mostlyUtf8(text: string): boolean {
  let bad = 0;
  let good = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c === 0xfffd) bad++;
    else good++;
  }
  return good >= 4 * bad;
}

/**
 * Decodes feed bytes to text: BOM → Content-Type charset → XML declaration → valid UTF-8 → windows-1252.
 * Never throws; `encoding` is the decoder actually used (lower-case iconv-lite name).
 */
export function decodeFeedBytes(body: Uint8Array, contentType?: string | null): { text: string; encoding: string } {
  try {
    if (body.byteLength === 0) return { text: '', encoding: 'utf-8' };

    const bom = bomEncoding(body);
    if (bom) return { text: decodeWith(body, bom.enc, bom.skip), encoding: bom.enc };

    const pattern = utfPatternEncoding(body);
    if (pattern) return { text: decodeWith(body, pattern), encoding: pattern };

    const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    let validUtf8: boolean | undefined;
    const isValidUtf8 = (): boolean => (validUtf8 ??= isUtf8(buf));

    for (const label of [charsetFromContentType(contentType), charsetFromXmlDeclaration(body)]) {
      const enc = normaliseCharset(label);
      if (!enc) continue;
      // A UTF-16/32 label on bytes that are plainly 8-bit (we just read ASCII from them) is a lie.
      if (UTF_FAMILY.test(enc)) continue;
      // "utf-8" declared on bytes that are not UTF-8: try the next source rather than emit U+FFFD.
      if (enc === 'utf-8' && !isValidUtf8()) continue;
      return { text: decodeWith(body, enc), encoding: enc };
    }

    if (isValidUtf8()) return { text: decodeWith(body, 'utf-8'), encoding: 'utf-8' };
    // Mostly UTF-8 with a few broken sequences (truncation, one pasted byte) stays UTF-8;
    // text whose non-ASCII bytes are mostly invalid UTF-8 is a legacy 8-bit encoding.
    const asUtf8 = decodeWith(body, 'utf-8');
    if (mostlyUtf8(asUtf8)) return { text: asUtf8, encoding: 'utf-8' };
    return { text: decodeWith(body, 'windows-1252'), encoding: 'windows-1252' };
  } catch {
    // iconv-lite should not throw on bytes, but never let decoding take a feed down.
    return { text: Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'), encoding: 'utf-8' };
  }
}
