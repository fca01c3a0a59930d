/**
 * Direct evaluation of one query against one item: the reference the index must agree with, and the
 * explanation shown by /why.
 */
import type { MatchableItem } from './item.js';
import { tokenise } from './normalise.js';
import { formatTermText, type Alternative, type PhraseTerm, type Query, type RegexTerm, type Scope, type Term } from './query.js';
import { regexCategoryInputs, regexKey, regexProblem, regexTest } from './regex.js';

export interface MatchOutcome {
  matched: boolean;
  /** the phrases (canonical form, without operator or scope) that matched, deduped, for display */
  terms: string[];
  /** one line for /why */
  explanation: string;
}

/** Fields as bits: a term's scope, and where a phrase was seen, are masks of these. */
const FIELD_BITS = { title: 1, summary: 2, category: 4, source: 8, author: 16 } as const;
/** The fields in the order they are probed. */
export const FIELD_ORDER = [FIELD_BITS.title, FIELD_BITS.summary, FIELD_BITS.category, FIELD_BITS.source, FIELD_BITS.author] as const;
/** A term without a scope is searched in these. */
const DEFAULT_SCOPE = FIELD_BITS.title | FIELD_BITS.summary | FIELD_BITS.category;
export const ALL_FIELDS = 31;

export function scopeMask(scope: Scope | null): number {
  return scope === null ? DEFAULT_SCOPE : FIELD_BITS[scope];
}

const FIELD_NAMES: Array<[number, string]> = [
  [1, 'title'],
  [2, 'summary'],
  [4, 'categories'],
  [8, 'source'],
  [16, 'author'],
];
function fieldList(mask: number): string {
  return FIELD_NAMES.filter(([b]) => mask & b).map(([, n]) => n).join(' and ');
}

interface Segment {
  bit: number;
  tokens: string[];
}

/** What a regex gave on one item: the fields tried so far and those it occurs in. */
interface RegexOutcome {
  tried: number;
  mask: number;
}

/** An item normalised once (lazily per field), plus the results of the regexes run on it. */
export class PreparedItem {
  private readonly segs: Array<Segment[] | undefined> = [];
  /** by regexKey: each distinct pattern runs at most once per field of the item, however many queries hold it */
  private readonly regex = new Map<string, RegexOutcome>();
  constructor(readonly item: MatchableItem) {}

  /** Token sequences of one field (categories: one per category). */
  field(bit: number): Segment[] {
    const k = Math.log2(bit);
    let s = this.segs[k];
    if (!s) {
      const it = this.item;
      if (bit === 4) s = (it.categories ?? []).map((c) => ({ bit, tokens: tokenise(c) }));
      else {
        const text = bit === 1 ? it.title : bit === 2 ? it.summary : bit === 8 ? it.source : it.author;
        s = [{ bit, tokens: tokenise(text ?? '') }];
      }
      this.segs[k] = s;
    }
    return s;
  }

  private readonly pos: Array<Map<string, number[]> | undefined> = [];
  /** token → occurrences (segment·65536 + position) in one field, built on first use */
  positions(bit: number): Map<string, number[]> {
    const k = Math.log2(bit);
    let m = this.pos[k];
    if (!m) {
      m = new Map();
      const segs = this.field(bit);
      for (let s = 0; s < segs.length; s++) {
        const toks = segs[s]!.tokens;
        for (let i = 0; i < toks.length && i < 65536; i++) {
          const l = m.get(toks[i]!);
          if (l) l.push(s * 65536 + i);
          else m.set(toks[i]!, [s * 65536 + i]);
        }
      }
      this.pos[k] = m;
    }
    return m;
  }

  private texts(bit: number): string[] {
    const it = this.item;
    if (bit === 4) return regexCategoryInputs(it.categories ?? []);
    const t = bit === 1 ? it.title : bit === 2 ? it.summary : bit === 8 ? it.source : it.author;
    return [t ?? ''];
  }

  /** Bits of the fields (among `fields`) the pattern occurs in; runs it on the fields not tried yet, lazily. */
  regexFields(t: RegexTerm, fields: number): number {
    const key = regexKey(t.source, t.flags);
    let r = this.regex.get(key);
    if (!r) this.regex.set(key, (r = { tried: 0, mask: 0 }));
    const todo = fields & ~r.tried;
    if (todo) {
      for (const [bit] of FIELD_NAMES) {
        if (!(todo & bit)) continue;
        r.tried |= bit;
        if (regexTest(t.source, t.flags, this.texts(bit))) r.mask |= bit;
      }
    }
    return r.mask & fields;
  }
}

function phraseAt(tokens: string[], i: number, t: PhraseTerm): boolean {
  const w = t.words;
  const last = w.length - 1;
  for (let k = 0; k < last; k++) if (tokens[i + k] !== w[k]) return false;
  const tok = tokens[i + last];
  if (tok === undefined) return false;
  return t.prefix ? tok.startsWith(w[last]!) : tok === w[last];
}

/** Bits of the fields (among `fields`) in which the term occurs. */
export function termFields(t: Term, p: PreparedItem, fields: number): number {
  if (t.kind === 'regex') return p.regexFields(t, fields);
  let mask = 0;
  const indexed = !(t.prefix && t.words.length === 1);
  for (const [bit] of FIELD_NAMES) {
    if (!(fields & bit)) continue;
    if (indexed) {
      // look up the first word's occurrences, then verify the rest of the phrase
      const occ = p.positions(bit).get(t.words[0]!);
      if (!occ) continue;
      const segs = p.field(bit);
      for (const o of occ) {
        const i = o % 65536;
        if (phraseAt(segs[(o - i) / 65536]!.tokens, i, t)) {
          mask |= bit;
          break;
        }
      }
      continue;
    }
    for (const seg of p.field(bit)) {
      const toks = seg.tokens;
      const n = toks.length - t.words.length;
      let found = false;
      for (let i = 0; i <= n; i++) if (phraseAt(toks, i, t)) { found = true; break; }
      if (found) { mask |= bit; break; }
    }
  }
  return mask;
}

function termPresent(t: Term, p: PreparedItem): boolean {
  return termFields(t, p, scopeMask(t.scope)) !== 0;
}

/** Does this alternative match? (positives first: cheap rejections before exclusions and regexes) */
function evaluateAlternative(a: Alternative, p: PreparedItem): boolean {
  for (const t of a.terms) if (!t.negated && t.kind === 'phrase' && !termPresent(t, p)) return false;
  for (const t of a.terms) if (!t.negated && t.kind === 'regex' && !termPresent(t, p)) return false;
  for (const t of a.terms) if (t.negated && termPresent(t, p)) return false;
  return true;
}

function alternativeTerms(a: Alternative): string[] {
  return a.terms.filter((t) => !t.negated).map(formatTermText);
}

function opText(t: Term, first: boolean): string {
  const body = formatTermText(t);
  const quoted = t.kind === 'phrase' && t.words.length > 1 ? `"${body}"` : body;
  const scoped = t.scope ? `${t.scope}:${quoted}` : quoted;
  return t.negated ? `-${scoped}` : first ? scoped : `+${scoped}`;
}

export function evaluatePrepared(query: Query, p: PreparedItem): MatchOutcome {
  const terms: string[] = [];
  let firstMatched: Alternative | undefined;
  for (const a of query.alternatives) {
    if (!evaluateAlternative(a, p)) continue;
    firstMatched ??= a;
    for (const t of alternativeTerms(a)) if (!terms.includes(t)) terms.push(t);
  }
  if (firstMatched) {
    const parts = firstMatched.terms
      .filter((t) => !t.negated)
      .map((t, i) => `${opText(t, i === 0)} in ${fieldList(termFields(t, p, scopeMask(t.scope)))}`);
    return { matched: true, terms, explanation: `matched ${parts.join(', ')}` };
  }
  return { matched: false, terms: [], explanation: explainMiss(query, p) };
}

function explainMiss(query: Query, p: PreparedItem): string {
  let scopeMsg: string | undefined;
  let partialMsg: string | undefined;
  let brokenMsg: string | undefined;
  for (const a of query.alternatives) {
    const positives = a.terms.filter((t) => !t.negated);
    const present = positives.filter((t) => termPresent(t, p));
    if (present.length === positives.length) {
      const ex = a.terms.find((t) => t.negated && termPresent(t, p));
      if (ex) {
        const where = fieldList(termFields(ex, p, scopeMask(ex.scope)));
        return `excluded by ${opText(ex, false)} (in ${where})`;
      }
    }
    for (const t of positives) {
      if (present.includes(t)) continue;
      if (t.kind === 'regex') {
        // stored before a rule changed: it matches nothing until the subscription is replaced
        const problem = regexProblem(t.source, t.flags);
        if (problem) brokenMsg ??= `${formatTermText(t)} can't run (${problem}); replace the subscription`;
      }
      const elsewhere = termFields(t, p, ALL_FIELDS & ~scopeMask(t.scope));
      if (elsewhere && t.scope !== null) scopeMsg ??= `"${formatTermText(t)}" only in ${fieldList(elsewhere)} but scoped to ${t.scope}:`;
      else if (elsewhere && t.scope === null)
        scopeMsg ??= `"${formatTermText(t)}" only in ${fieldList(elsewhere)}, which is not searched unless scoped (${fieldList(elsewhere).split(' ')[0]}:)`;
    }
    if (present.length > 0 && present.length < positives.length) {
      const missing = positives.find((t) => !present.includes(t))!;
      partialMsg ??= `has ${present.map((t) => formatTermText(t)).join(', ')} but not ${opText(missing, false)}`;
    }
  }
  return brokenMsg ?? scopeMsg ?? partialMsg ?? 'no phrase present';
}

/** The direct, slow-path reference evaluation. */
export function evaluateQuery(query: Query, item: MatchableItem): MatchOutcome {
  return evaluatePrepared(query, new PreparedItem(item));
}
