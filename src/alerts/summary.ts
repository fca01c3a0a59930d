import { stripBoilerplate } from '../feeds/parse/boilerplate.js';

export const SUMMARY_MAX_CHARS = 400;

/** A block that ends with its own stop (closing quotes and brackets allowed after it). */
const ENDS_SENTENCE = /[.!?…。！？‼⁉]["'”’»)\]]*$/u;
/** A block that ends mid-sentence: a line break inside a sentence (`<br>` in an address, a wrapped line). */
const ENDS_OPEN = /[,;:–—\-(，、；：]$/u;
const ENDS_IN_HAN_OR_KANA = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]["'”’»)\]]*$/u;

/**
 * Joins the text's blocks (one per line) into prose. A block that ends without a stop (a heading, a list item, a
 * paragraph the feed left unpunctuated) gets one, so neither a reader nor the sentence segmenter runs it into the
 * next: ". " (or "。" after Chinese or Japanese). A sentence stop rather than a neutral separator such as " · " because
 * it lets the summary be cut at the block's end instead of mid-fragment. No stop is added where the block ends open
 * ("…, ", "… –") or the next begins in lower case: that is one sentence broken across lines.
 */
export function joinBlocks(text: string): string {
  const parts: string[] = [];
  let prev = '';
  let dropped = false; // an empty line: a block was dropped here (boilerplate), so the two sides do not join
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+/g, ' ').trim();
    if (!line) {
      dropped = true;
      continue;
    }
    if (prev) {
      if (ENDS_SENTENCE.test(prev) || (!dropped && (ENDS_OPEN.test(prev) || /^\p{Ll}/u.test(line)))) parts.push(' ');
      else parts.push(ENDS_IN_HAN_OR_KANA.test(prev) ? '。' : '. ');
    }
    parts.push(line);
    prev = line;
    dropped = false;
  }
  return parts.join('');
}

/** The headline's words, compared without case, spacing or quote style. */
function comparable(s: string): string {
  return s.toLowerCase().replace(/[‘’]/g, "'").replace(/[“”]/g, '"').replace(/\s+/g, ' ').trim();
}

/**
 * The text without the headline when it opens with the headline as a unit of its own: the whole first block, or a
 * segment followed by a stop or separator. "Hoth is the sixth planet…" under the headline "Hoth" keeps its "Hoth".
 */
function dropRepeatedHeadline(text: string, title: string): string {
  const t = comparable(title).replace(/[.!?…:]+$/, '');
  if (!t) return text;
  const lines = text.split('\n');
  const firstLine = comparable(lines[0] ?? '');
  if (firstLine.replace(/[.!?…:]+$/, '') === t) return lines.length > 1 ? lines.slice(1).join('\n') : text;
  const head = comparable(text.slice(0, title.length + 40));
  if (!head.startsWith(t)) return text;
  const after = head.slice(t.length);
  const m = /^(?:[.!?…]+\s+|\s*[:;|·–—-]\s+)/.exec(after);
  if (!m) return text;
  // Map the cut back onto the original text (the comparable form only changes case, quotes and spacing).
  const words = (t + m[0]).trim().split(' ').length;
  const cut = new RegExp(`^(?:\\s*\\S+(?!\\S)){${words}}\\s*`).exec(text); // whole words: no backtracking into them
  const rest = cut ? text.slice(cut[0].length) : '';
  // After a colon or dash a lower-case word continues the headline's sentence: keep it whole.
  if (!/^[.!?…]/.test(m[0]) && /^\s*\p{Ll}/u.test(rest)) return text;
  return rest.trim() ? rest : text;
}

const sentenceSegmenter = new Intl.Segmenter('en', { granularity: 'sentence' });
const wordSegmenter = new Intl.Segmenter('en', { granularity: 'word' });

/**
 * A summary of at most `max` characters in whole sentences. When even the first sentence is too long it is cut at a
 * word boundary and ends with an ellipsis. Boilerplate goes (src/feeds/parse/boilerplate.ts); the headline is dropped
 * when the text repeats it as a unit of its own.
 */
export function summarize(text0: string, options: { max?: number; title?: string } = {}): string {
  const max = options.max ?? SUMMARY_MAX_CHARS;
  let text = stripBoilerplate(text0);
  const title = options.title?.trim();
  if (title) text = dropRepeatedHeadline(text, title);
  const body = joinBlocks(text);
  if (body.length <= max) return body;

  let out = '';
  for (const { segment } of sentenceSegmenter.segment(body)) {
    if ((out + segment).trimEnd().length > max) break;
    out += segment;
  }
  out = out.trim();
  if (out.length > 0) return out;

  // The first sentence alone is too long: cut at the last word boundary that fits, leaving room for the ellipsis.
  let cut = 0;
  for (const { index, isWordLike } of wordSegmenter.segment(body)) {
    if (index > max - 1) break;
    if (!isWordLike) cut = index;
  }
  return `${body.slice(0, cut || max - 1).replace(/[\s,;:–—-]+$/, '')}…`;
}
