/**
 * Where terms occur in a text, for bolding matched terms in an alert. Same normalisation and word rules as
 * matching: "North Korea" highlights "North Korea" in "North Korea's leader" and in "NORTH KORÉA", never
 * "Koreans"; "korea*" highlights the whole word "Koreans"; "/regex/flags" terms highlight their matches
 * (by the same RE2 runner as matching). Terms may carry a scope (`title:`), an operator (`+`/`-`) or quotes: these are
 * ignored here.
 */
import { tokenise, tokeniseWithOffsets, type TokensWithOffsets } from './normalise.js';
import { regexRanges } from './regex.js';

export interface Range {
  start: number;
  end: number;
}

const REGEX_TERM = /^\/(.+)\/([a-z]*)$/s;
const SCOPE_PREFIX = /^(title|summary|source|site|author|category|categories)\s*:/i;

export function highlightRanges(text: string, terms: string[]): Array<{ start: number; end: number }> {
  const ranges: Range[] = [];
  let toks: TokensWithOffsets | undefined;
  for (const raw of terms) {
    let term = raw.trim().replace(/^(?:[+-]|AND\s+|NOT\s+)/, '');
    term = term.replace(SCOPE_PREFIX, '').trim();
    const rm = REGEX_TERM.exec(term);
    if (rm) {
      ranges.push(...regexRanges(rm[1]!, rm[2]!.replace(/[^ims]/g, ''), text));
      continue;
    }
    let prefix = false;
    term = term.replace(/^["“”„«]|["“”»]$/g, '');
    if (term.endsWith('*')) {
      prefix = true;
      term = term.slice(0, -1).replace(/["“”»]$/, '');
    }
    const words = tokenise(term);
    if (words.length === 0) continue;
    toks ??= tokeniseWithOffsets(text);
    const t = toks.tokens;
    const last = words.length - 1;
    outer: for (let i = 0; i + last < t.length; i++) {
      for (let k = 0; k < last; k++) if (t[i + k] !== words[k]) continue outer;
      const tok = t[i + last]!;
      if (prefix ? !tok.startsWith(words[last]!) : tok !== words[last]) continue;
      ranges.push({ start: toks.starts[i]!, end: toks.ends[i + last]! });
    }
  }
  ranges.sort((a, b) => a.start - b.start || a.end - b.end);
  const merged: Range[] = [];
  for (const r of ranges) {
    const prev = merged[merged.length - 1];
    if (prev && r.start <= prev.end) prev.end = Math.max(prev.end, r.end);
    else merged.push({ start: r.start, end: r.end });
  }
  return merged;
}
