/**
 * The one text normaliser used by the parser, the evaluator, the index and the highlighter.
 *
 * Rules:
 * - A word is a run of Unicode letters, numbers and combining marks (`\p{L}\p{N}\p{M}`); everything else
 *   separates words (so "Jong-un" is two words, and so is "U.S.").
 * - An English possessive `'s` / `’s` / `ʼs` directly after a word is dropped ("Korea's" → "korea"); it does
 *   not make a word of its own.
 * - Folding: NFKD, lowercase, strip the Latin/Greek/Cyrillic diacritic blocks (U+0300–036F etc.), map letters
 *   that do not decompose (ß→ss, æ→ae, œ→oe, ø→o, ł→l, đ/ð→d, þ→th, ı→i, ς→σ …), then NFC.
 *   Only *diacritic* marks are stripped: Indic vowel signs, Thai vowels and the kana voicing marks are kept,
 *   otherwise "ガス" would equal "カス".
 * - Scripts written without spaces (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar) are split into one token
 *   per character (plus its combining marks). A phrase in those scripts is then a run of adjacent
 *   character tokens, so "phrase match" on tokens is exactly "substring match" on the normalised text, and
 *   the index handles it with the same n-gram windows as words.
 */

const DIACRITICS = /[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]/g;
const SPECIAL_MAP: Record<string, string> = {
  'ß': 'ss', 'æ': 'ae', 'œ': 'oe', 'ø': 'o', 'ł': 'l', 'đ': 'd', 'ð': 'd', 'þ': 'th', 'ı': 'i',
  'ς': 'σ', 'ħ': 'h', 'ŧ': 't', 'ŀ': 'l', 'ĸ': 'k', 'ŋ': 'n', 'ȷ': 'j',
};
const SPECIALS = /[ßæœøłđðþıςħŧŀĸŋȷ]/g;
const NOSPACE_CLASS = '\\p{scx=Han}\\p{scx=Hiragana}\\p{scx=Katakana}\\p{scx=Thai}\\p{scx=Lao}\\p{scx=Khmer}\\p{scx=Myanmar}';
const NOSPACE_ANY = new RegExp(`[${NOSPACE_CLASS}]`, 'u');
const NOSPACE_FIRST = new RegExp(`^[${NOSPACE_CLASS}]`, 'u');
/** Splits a run into single no-space characters (with their marks) and other stretches. */
const NOSPACE_SEGMENTS = new RegExp(`[${NOSPACE_CLASS}][\\p{M}\\uff9e\\uff9f]*|[^${NOSPACE_CLASS}]+`, 'gu');
const NOSPACE_SEGMENTS_2 = new RegExp(NOSPACE_SEGMENTS.source, 'gu');
const WORD = /([\p{L}\p{N}\p{M}]+)(?:['’ʼ][sS](?![\p{L}\p{N}\p{M}]))?/gu;
const WORD_ASCII = /([a-z0-9]+)(?:'s(?![a-z0-9]))?/g;
const SUBWORD = /[\p{L}\p{N}\p{M}]+/gu;
const ASCII_ONLY = /^[\x00-\x7f]*$/;
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

/** Folds one word-ish string (case, diacritics, compatibility forms). May return separators for odd input. */
function fold(s: string): string {
  if (ASCII_ONLY.test(s)) return s.toLowerCase();
  return s
    .normalize('NFKD')
    .toLowerCase()
    .replace(DIACRITICS, '')
    .replace(SPECIALS, (c) => SPECIAL_MAP[c] ?? c)
    .normalize('NFC');
}

/** Is this token a character of a script written without spaces? */
export function isNoSpaceToken(token: string): boolean {
  return NOSPACE_FIRST.test(token);
}

export interface TokensWithOffsets {
  tokens: string[];
  /** UTF-16 offsets in the original text */
  starts: number[];
  ends: number[];
}

function pushFolded(raw: string, start: number, end: number, out: TokensWithOffsets | null, tokens: string[]): void {
  const f = fold(raw);
  SUBWORD.lastIndex = 0;
  let m: RegExpExecArray | null;
  // Folding can, rarely, introduce separators (½ → 1⁄2): split again. Mark-only leftovers are dropped.
  while ((m = SUBWORD.exec(f)) !== null) {
    const t = m[0];
    if (!LETTER_OR_DIGIT.test(t)) continue;
    tokens.push(t);
    if (out) {
      out.starts.push(start);
      out.ends.push(end);
    }
  }
}

/** Non-ASCII separators common in English news, mapped 1:1 (same offsets) so the ASCII fast path applies. */
const TYPO_PUNCT = /[\u2018\u2019\u201c\u201d\u2013\u2014\u2026\u00a0\u2022\u00b7\u00ab\u00bb]/g;

function tokeniseInto(text: string, out: TokensWithOffsets | null): string[] {
  const tokens = out ? out.tokens : [];
  if (!ASCII_ONLY.test(text)) {
    const mapped = text.replace(TYPO_PUNCT, (c) => (c === '\u2019' ? "'" : ' '));
    if (ASCII_ONLY.test(mapped)) text = mapped;
  }
  if (ASCII_ONLY.test(text)) {
    const lower = text.toLowerCase();
    WORD_ASCII.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = WORD_ASCII.exec(lower)) !== null) {
      const w = m[1]!;
      tokens.push(w);
      if (out) {
        out.starts.push(m.index);
        out.ends.push(m.index + w.length);
      }
    }
    return tokens;
  }
  WORD.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = WORD.exec(text)) !== null) {
    const run = m[1]!;
    const start = m.index;
    if (!NOSPACE_ANY.test(run)) {
      pushFolded(run, start, start + run.length, out, tokens);
      continue;
    }
    NOSPACE_SEGMENTS.lastIndex = 0;
    let s: RegExpExecArray | null;
    while ((s = NOSPACE_SEGMENTS.exec(run)) !== null) {
      const seg = s[0];
      const segStart = start + s.index;
      if (NOSPACE_FIRST.test(seg)) {
        // one character: fold as a whole, keep as one token (compatibility forms may expand, e.g. ㍿)
        const f = fold(seg);
        for (const ch of splitNoSpace(f)) {
          tokens.push(ch);
          if (out) {
            out.starts.push(segStart);
            out.ends.push(segStart + seg.length);
          }
        }
      } else {
        pushFolded(seg, segStart, segStart + seg.length, out, tokens);
      }
    }
  }
  return tokens;
}

function splitNoSpace(f: string): string[] {
  const res: string[] = [];
  let s: RegExpExecArray | null;
  const re = NOSPACE_SEGMENTS_2;
  re.lastIndex = 0;
  while ((s = re.exec(f)) !== null) {
    if (NOSPACE_FIRST.test(s[0])) res.push(s[0]);
    else {
      SUBWORD.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = SUBWORD.exec(s[0])) !== null) if (LETTER_OR_DIGIT.test(m[0])) res.push(m[0]);
    }
  }
  return res;
}

/** Normalised tokens of a text. */
export function tokenise(text: string): string[] {
  return tokeniseInto(text, null);
}

/** Normalised tokens with the original UTF-16 range each came from. */
export function tokeniseWithOffsets(text: string): TokensWithOffsets {
  const out: TokensWithOffsets = { tokens: [], starts: [], ends: [] };
  tokeniseInto(text, out);
  return out;
}

/** Prints normalised tokens as text: spaces between words, none between no-space-script characters. */
export function joinTokens(tokens: readonly string[]): string {
  let s = '';
  let prevNoSpace = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const ns = isNoSpaceToken(t);
    if (i > 0 && !(ns && prevNoSpace)) s += ' ';
    s += t;
    prevNoSpace = ns;
  }
  return s;
}
