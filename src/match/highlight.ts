/**
 * Where matched terms occur in a text, for bolding them in an alert and naming them as the story spells them. Takes
 * the structured terms matching reported (matched-term.ts): nothing is re-parsed. Same normalisation and word rules
 * as matching: "north korea" highlights "North Korea" in "North Korea's leader" and in "NORTH KORÉA", never
 * "Koreans"; "korea*" highlights the whole word "Koreans"; regex terms highlight their matches (by the same RE2
 * runner as matching). The shown texts (the title, the shortened summary) are scanned once per term; the
 * tokenisation with offsets is made once per text.
 */
import { exactPhrase, type MatchedTerm } from './matched-term.js';
import { tokenise, tokeniseWithOffsets, type TokensWithOffsets } from './normalise.js';
import { regexRanges } from './regex.js';

export interface Range {
  start: number;
  end: number;
}

/** The ranges of the terms in the text: UTF-16 offsets, sorted, overlapping ones merged. */
export function highlightRanges(text: string, terms: readonly MatchedTerm[]): Range[] {
  const ranges: Range[] = [];
  let toks: TokensWithOffsets | undefined;
  for (const term of terms) {
    if (term.kind === 'regex') {
      ranges.push(...regexRanges(term.source, term.flags, text));
      continue;
    }
    const words = term.words;
    if (words.length === 0) continue;
    toks ??= tokeniseWithOffsets(text);
    const t = toks.tokens;
    const last = words.length - 1;
    outer: for (let i = 0; i + last < t.length; i++) {
      for (let k = 0; k < last; k++) if (t[i + k] !== words[k]) continue outer;
      const tok = t[i + last]!;
      if (term.prefix ? !tok.startsWith(words[last]!) : tok !== words[last]) continue;
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

/**
 * A matched term as the story spells it ("North Korea", not the query's folded "north korea"; "Koreans" for
 * "korea*"): its first occurrence in the first text that has it, as an exact phrase, so highlighting then bolds that
 * spelling. A term none of the texts shows stays as it is.
 */
export function asWritten(term: MatchedTerm, ...texts: string[]): MatchedTerm {
  for (const text of texts) {
    const range = highlightRanges(text, [term])[0];
    if (range) {
      const written = text.slice(range.start, range.end);
      return exactPhrase(written, tokenise(written));
    }
  }
  return term;
}
