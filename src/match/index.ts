/**
 * The subscription index: phrase key → subscriptions, probed with every 1..k-token window of an item.
 *
 * - A phrase key is its normalised tokens joined by one space; a prefix phrase (`north kor*`) has the key
 *   "north kor*" and is probed with every prefix of the window's last token whose length some indexed stem has.
 * - Prefix pruning: a window is extended only while its key is a proper prefix of some indexed phrase
 *   (a refcounted map), so the cost per item follows the item's length and the phrases it actually starts.
 * - Each alternative of a query is posted once. A simple alternative (one positive phrase) posts an exact
 *   answer: the hit plus the field check is the match. Any other alternative is posted under ONE positive
 *   phrase it requires (the presearcher design of Lucene Monitor / Luwak: the longest one, as the rarest
 *   guess) and is evaluated in full only when that phrase occurs. Alternatives with no positive phrase
 *   (only regexes) are evaluated for every item.
 * - Postings are plain numbers `(slot·32 + alternative)·32 + fieldMask` (fieldMask 0 = "evaluate"), held
 *   as a bare number for a single subscriber or a number[]; records keep the key (simple queries) or the
 *   AST (others), so add/remove update in place without rebuilding.
 */
import { alternativeTerms, DEFAULT_SCOPE, evaluateAlternative, PreparedItem, scopeMask } from './evaluate.js';
import type { MatchableItem } from './item.js';
import { joinTokens } from './normalise.js';
import type { Alternative, PhraseTerm, Query, RegexTerm } from './query.js';

type Posting = number | number[];
/** simple query: one key, or keys per alternative; otherwise the query itself */
type SubRecord = string | string[] | Query;

const FIELD_ORDER = [1, 2, 4, 8, 16] as const;

function phraseKey(t: PhraseTerm): string {
  return t.words.join(' ') + (t.prefix ? '*' : '');
}

function isSimple(a: Alternative): boolean {
  return a.terms.length === 1 && a.terms[0]!.kind === 'phrase' && !a.terms[0]!.negated;
}

/** The positive phrase a non-simple alternative is indexed under, or undefined (regex-only: scanned). */
function indexTerm(a: Alternative): PhraseTerm | undefined {
  let best: PhraseTerm | undefined;
  let bestScore = -1;
  for (const t of a.terms) {
    if (t.negated || t.kind !== 'phrase') continue;
    const score = (t.prefix ? 0 : 1000) + t.words.length * 100 + Math.min(99, t.words.join('').length);
    if (score > bestScore) {
      best = t;
      bestScore = score;
    }
  }
  return best;
}

const NON_ASCII = /[^\x00-\x7f]/;
function keyToTerm(key: string): string {
  if (!NON_ASCII.test(key)) return key;
  const star = key.endsWith('*');
  return joinTokens((star ? key.slice(0, -1) : key).split(' ')) + (star ? '*' : '');
}

function inc(m: Map<string, number>, k: string): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}
function dec(m: Map<string, number>, k: string): void {
  const v = (m.get(k) ?? 0) - 1;
  if (v <= 0) m.delete(k);
  else m.set(k, v);
}

export class SubscriptionIndex {
  private readonly slotOf = new Map<string, number>();
  private readonly ids: Array<string | undefined> = [];
  private readonly recs: Array<SubRecord | undefined> = [];
  private readonly free: number[] = [];
  private readonly postings = new Map<string, Posting>();
  /** proper prefixes (in tokens) of indexed keys: windows worth extending */
  private readonly prefixes = new Map<string, number>();
  /** the tokens before the stem of prefix phrases ('' for one-word stems) */
  private readonly starCtx = new Map<string, number>();
  private readonly stemLenCount = new Map<number, number>();
  private stemLens: number[] = [];
  private readonly fieldRefs = [0, 0, 0, 0, 0];
  /** slot·32+alt of alternatives with no positive phrase */
  private readonly scan = new Set<number>();

  get size(): number {
    return this.slotOf.size;
  }

  has(id: string): boolean {
    return this.slotOf.has(id);
  }

  /** Adds a subscription; replaces an existing one with the same id. */
  add(id: string, query: Query): void {
    if (this.slotOf.has(id)) this.remove(id);
    const slot = this.free.pop() ?? this.ids.length;
    this.ids[slot] = id;
    this.slotOf.set(id, slot);
    const alts = query.alternatives;
    if (alts.length > 32) throw new RangeError('a query has at most 32 alternatives');
    const simple = alts.every(isSimple);
    const keys: string[] = [];
    alts.forEach((a, alt) => {
      const code = slot * 32 + alt;
      if (isSimple(a)) {
        const t = a.terms[0] as PhraseTerm;
        const key = phraseKey(t);
        keys.push(key);
        this.post(key, t, code * 32 + scopeMask(t.scope));
        return;
      }
      const t = indexTerm(a);
      if (t) this.post(phraseKey(t), t, code * 32 + 0);
      else this.scan.add(code);
    });
    this.recs[slot] = simple ? (keys.length === 1 ? keys[0]! : keys) : query;
  }

  /** Removes a subscription; false when the id is unknown. */
  remove(id: string): boolean {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return false;
    const rec = this.recs[slot]!;
    if (typeof rec === 'string') this.unpost(rec, slot * 32);
    else if (Array.isArray(rec)) rec.forEach((key, alt) => this.unpost(key, slot * 32 + alt));
    else
      rec.alternatives.forEach((a, alt) => {
        const t = isSimple(a) ? (a.terms[0] as PhraseTerm) : indexTerm(a);
        if (t) this.unpost(phraseKey(t), slot * 32 + alt, scopeMask(t.scope));
        else this.scan.delete(slot * 32 + alt);
      });
    this.slotOf.delete(id);
    this.ids[slot] = undefined;
    this.recs[slot] = undefined;
    this.free.push(slot);
    return true;
  }

  private post(key: string, t: PhraseTerm, code: number): void {
    const p = this.postings.get(key);
    if (p === undefined && key.endsWith('*')) this.stemCache.clear();
    if (p === undefined) this.postings.set(key, code);
    else if (typeof p === 'number') this.postings.set(key, [p, code]);
    else p.push(code);
    this.structure(key, scopeMask(t.scope), +1);
  }

  private unpost(key: string, altCode: number, termMask = DEFAULT_SCOPE): void {
    const p = this.postings.get(key);
    let mask = termMask;
    if (typeof p === 'number') {
      mask = p % 32 || termMask;
      this.postings.delete(key);
      if (key.endsWith('*')) this.stemCache.clear();
    } else if (p) {
      const i = p.findIndex((c) => Math.floor(c / 32) === altCode);
      if (i >= 0) {
        mask = p[i]! % 32 || termMask;
        p.splice(i, 1);
      }
      if (p.length === 1) this.postings.set(key, p[0]!);
    }
    this.structure(key, mask, -1);
  }

  /** Maintains prefixes, star contexts, stem lengths and field use for one key. */
  private structure(key: string, mask: number, delta: 1 | -1): void {
    const star = key.endsWith('*');
    const words = (star ? key.slice(0, -1) : key).split(' ');
    const upto = star ? words.length - 2 : words.length - 1;
    let p = '';
    for (let k = 0; k < upto; k++) {
      p = k === 0 ? words[0]! : `${p} ${words[k]!}`;
      if (delta > 0) inc(this.prefixes, p);
      else dec(this.prefixes, p);
    }
    if (star) {
      const ctx = words.slice(0, -1).join(' ');
      const len = words[words.length - 1]!.length;
      if (delta > 0) inc(this.starCtx, ctx);
      else dec(this.starCtx, ctx);
      const c = (this.stemLenCount.get(len) ?? 0) + delta;
      if (c <= 0) this.stemLenCount.delete(len);
      else this.stemLenCount.set(len, c);
      this.stemLens = [...this.stemLenCount.keys()].sort((a, b) => a - b);
    }
    // a posting with mask 0 (evaluate) is still only found in its term's scope fields
    for (let b = 0; b < 5; b++) if (mask & (1 << b)) this.fieldRefs[b]! += delta;
  }

  /** Subscription id → matched terms, exactly as evaluateQuery over every subscription would give. */
  match(item: MatchableItem): Map<string, string[]> {
    const prepared = new PreparedItem(item);
    const n = this.ids.length;
    if (this.hitAlts.length < n) {
      const size = Math.max(n, this.hitAlts.length * 2, 1024);
      this.hitAlts = new Int32Array(size);
      this.candAlts = new Int32Array(size);
    }
    this.touched.length = 0;
    const postings = this.postings;
    const prefixes = this.prefixes;
    const starCtx = this.starCtx;
    const hasStar = starCtx.size > 0;
    const rootStar = starCtx.has('');

    for (let f = 0; f < 5; f++) {
      if (this.fieldRefs[f] === 0) continue;
      const bit = FIELD_ORDER[f]!;
      for (const seg of prepared.field(bit)) {
        const toks = seg.tokens;
        const len = toks.length;
        for (let i = 0; i < len; i++) {
          let key = toks[i]!;
          if (rootStar) this.rootStems(key, bit);
          for (let j = i; ; ) {
            const p = postings.get(key);
            if (p !== undefined) {
              if (typeof p === 'number') this.take(p, bit);
              else for (let k = 0; k < p.length; k++) this.take(p[k]!, bit);
            }
            if (hasStar && j + 1 < len && starCtx.has(key)) this.stems(toks[j + 1]!, key + ' ', bit);
            if (++j >= len || !prefixes.has(key)) break;
            key = key + ' ' + toks[j]!;
          }
        }
      }
    }

    const hitAlts = this.hitAlts;
    const candAlts = this.candAlts;
    for (const code of this.scan) {
      const alt = code % 32;
      const slot = (code - alt) / 32;
      if (hitAlts[slot] === 0 && candAlts[slot] === 0) this.touched.push(slot);
      candAlts[slot]! |= 1 << alt;
    }

    const touched = this.touched;
    let regexes: RegexTerm[] | undefined;
    for (let t = 0; t < touched.length; t++) {
      const slot = touched[t]!;
      const alts = candAlts[slot]!;
      if (alts === 0) continue;
      const q = this.recs[slot] as Query;
      for (let a = 0; a < q.alternatives.length; a++)
        if (alts & (1 << a)) for (const term of q.alternatives[a]!.terms) if (term.kind === 'regex') (regexes ??= []).push(term);
    }
    if (regexes) prepared.runRegexes(regexes);

    const out = new Map<string, string[]>();
    for (let t = 0; t < touched.length; t++) {
      const slot = touched[t]!;
      let got = hitAlts[slot]!;
      const alts = candAlts[slot]!;
      if (alts !== 0) {
        const q = this.recs[slot] as Query;
        for (let a = 0; a < q.alternatives.length; a++) {
          const b = 1 << a;
          if (alts & b && !(got & b) && evaluateAlternative(q.alternatives[a]!, prepared)) got |= b;
        }
      }
      hitAlts[slot] = 0;
      candAlts[slot] = 0;
      if (got !== 0) out.set(this.ids[slot]!, this.termsOf(slot, got));
    }
    touched.length = 0;
    return out;
  }

  /** scratch per match: alternatives hit / to evaluate, by slot, and the slots touched */
  private hitAlts = new Int32Array(0);
  private candAlts = new Int32Array(0);
  private readonly touched: number[] = [];

  private take(code: number, bit: number): void {
    const mask = code % 32;
    const altCode = (code - mask) / 32;
    const alt = altCode % 32;
    const slot = (altCode - alt) / 32;
    if (mask === 0) {
      if (this.hitAlts[slot] === 0 && this.candAlts[slot] === 0) this.touched.push(slot);
      this.candAlts[slot]! |= 1 << alt;
    } else if (mask & bit) {
      if (this.hitAlts[slot] === 0 && this.candAlts[slot] === 0) this.touched.push(slot);
      this.hitAlts[slot]! |= 1 << alt;
    }
  }

  /** token → the one-word prefix keys ("kor*") it matches; cleared whenever prefix keys change */
  private readonly stemCache = new Map<string, string[] | null>();

  private rootStems(tok: string, bit: number): void {
    let keys = this.stemCache.get(tok);
    if (keys === undefined) {
      keys = null;
      const stemLens = this.stemLens;
      for (let s = 0; s < stemLens.length; s++) {
        const L = stemLens[s]!;
        if (L > tok.length) break;
        const k = tok.slice(0, L) + '*';
        if (this.postings.has(k)) (keys ??= []).push(k);
      }
      if (this.stemCache.size >= 100_000) this.stemCache.clear();
      this.stemCache.set(tok, keys);
    }
    if (keys === null) return;
    for (let i = 0; i < keys.length; i++) {
      const p = this.postings.get(keys[i]!);
      if (p === undefined) continue;
      if (typeof p === 'number') this.take(p, bit);
      else for (let k = 0; k < p.length; k++) this.take(p[k]!, bit);
    }
  }

  private stems(tok: string, ctx: string, bit: number): void {
    const stemLens = this.stemLens;
    const n = tok.length;
    for (let s = 0; s < stemLens.length; s++) {
      const L = stemLens[s]!;
      if (L > n) break;
      const p = this.postings.get(ctx + tok.slice(0, L) + '*');
      if (p === undefined) continue;
      if (typeof p === 'number') this.take(p, bit);
      else for (let k = 0; k < p.length; k++) this.take(p[k]!, bit);
    }
  }

  private termsOf(slot: number, alts: number): string[] {
    const rec = this.recs[slot]!;
    if (typeof rec === 'string') return [keyToTerm(rec)];
    const terms: string[] = [];
    if (Array.isArray(rec)) {
      for (let a = 0; a < rec.length; a++)
        if (alts & (1 << a)) {
          const t = keyToTerm(rec[a]!);
          if (!terms.includes(t)) terms.push(t);
        }
      return terms;
    }
    for (let a = 0; a < rec.alternatives.length; a++)
      if (alts & (1 << a)) for (const t of alternativeTerms(rec.alternatives[a]!)) if (!terms.includes(t)) terms.push(t);
    return terms;
  }

}
