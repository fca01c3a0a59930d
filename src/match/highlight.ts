/**
 * Where terms occur in a text, for bolding matched terms in an alert. Same normalisation and word rules as
 * matching: "North Korea" highlights "North Korea" in "North Korea's leader" and in "NORTH KORÉA", never
 * "Koreans"; "korea*" highlights the whole word "Koreans"; "/regex/flags" terms highlight their matches
 * (time-bounded like matching). Terms may carry a scope (`title:`), an operator (`+`/`-`) or quotes: these are
 * ignored here.
 */
import vm from 'node:vm';
import { tokenise, tokeniseWithOffsets, type TokensWithOffsets } from './normalise.js';
import { compileRegex, isRegexDisabled, regexInput, regexKey, REGEX_LIMITS } from './regex.js';

export interface Range {
  start: number;
  end: number;
}

const REGEX_TERM = /^\/(.+)\/([a-z]*)$/s;
const SCOPE_PREFIX = /^(title|summary|source|site|author|category|categories)\s*:/i;

const ctx = vm.createContext({ __re: /x/, __s: '', __out: [] as number[] });
const script = new vm.Script(`(() => {
  const re = new RegExp(globalThis.__re.source, globalThis.__re.flags + 'g'), s = globalThis.__s, out = [];
  let m;
  while ((m = re.exec(s)) !== null && out.length < 400) {
    if (m[0].length === 0) { re.lastIndex++; continue; }
    out.push(m.index, m.index + m[0].length);
  }
  globalThis.__out = out;
})()`);

function regexRanges(source: string, flags: string, text: string): Range[] {
  if (isRegexDisabled(regexKey(source, flags))) return [];
  let re: RegExp;
  try {
    re = compileRegex(source, flags);
  } catch {
    return [];
  }
  const c = ctx as unknown as { __re: RegExp; __s: string; __out: number[] };
  c.__re = re;
  c.__s = regexInput(text);
  c.__out = [];
  try {
    script.runInContext(ctx, { timeout: REGEX_LIMITS.timeoutMs });
  } catch {
    return [];
  }
  const out: Range[] = [];
  for (let i = 0; i + 1 < c.__out.length; i += 2) out.push({ start: c.__out[i]!, end: c.__out[i + 1]! });
  return out;
}

export function highlightRanges(text: string, terms: string[]): Array<{ start: number; end: number }> {
  const ranges: Range[] = [];
  let toks: TokensWithOffsets | undefined;
  for (const raw of terms) {
    let term = raw.trim().replace(/^(?:[+-]|AND\s+|NOT\s+)/, '');
    term = term.replace(SCOPE_PREFIX, '').trim();
    const rm = REGEX_TERM.exec(term);
    if (rm) {
      ranges.push(...regexRanges(rm[1]!, rm[2]!.replace(/[^imsu]/g, ''), text));
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
