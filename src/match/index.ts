/**
 * The subscription index: phrase key → queries, probed with every 1..k-token window of an item.
 *
 * - Subscriptions with the same query are one **group** (keyed by the query's structure): across thousands of
 *   servers most subscriptions are a few popular queries, so each distinct query is posted, probed and
 *   evaluated once per item, and its subscribers are expanded only at the output, all sharing one frozen
 *   `terms` array (single-phrase queries share one per phrase). A group holds its subscribers' ids; an integer
 *   slot per subscription (id → slot → group, position) makes removal O(1).
 * - A phrase key is its normalised tokens joined by one space; a prefix phrase (`north kor*`) has the key
 *   "north kor*" and is probed with every prefix of the window's last token whose length some indexed stem has.
 * - One map from key to a node holds the key's postings and two counters: how many indexed keys it is a proper
 *   token-prefix of (prefix pruning: a window is extended only while the counter is non-zero, so the cost per
 *   item follows the item's length and the phrases it actually starts) and how many prefix phrases have it as
 *   their context (`north` for `north kor*`). A token that starts nothing costs one lookup.
 * - Each alternative of a group is posted once. A simple alternative (one positive phrase) posts an exact
 *   answer: the hit plus the field check is the match, with no verification. Any other alternative is posted
 *   under ONE positive phrase it requires (the presearcher design of Lucene Monitor / Luwak) and is evaluated
 *   in full only when that phrase occurs in a field of its scope. The phrase chosen is the one with the fewest
 *   postings so far (a phrase many queries use is a popular one, and popular topics are frequent in the news),
 *   the more specific on ties, a prefix only when there is nothing else; the choice is remembered for removal.
 *   Alternatives with no positive phrase (only regexes) are evaluated for every item.
 * - Postings are plain numbers `(group·32 + alternative)·64 + evaluate·32 + scopeMask`, held as a bare number
 *   for a single posting or a number[]; a hit counts only in a field of the term's scope. Add/remove update
 *   groups and postings in place without rebuilding.
 * - Per item the work is: tokenise, probe (~1–2 lookups per token), evaluate the candidate groups, then write
 *   one map entry per subscriber of each matched group. That last step dominates when popular queries match,
 *   so each group's ids are kept side by side in memory (see `relocate`).
 */
import { alternativeTerms, evaluateAlternative, PreparedItem, scopeMask } from './evaluate.js';
import type { MatchableItem } from './item.js';
import { formatTermText, type Alternative, type PhraseTerm, type Query, type RegexTerm, type Term } from './query.js';

type Posting = number | number[];

const FIELD_ORDER = [1, 2, 4, 8, 16] as const;
const EMPTY: readonly string[] = Object.freeze([]);

/** A string in one piece: keys kept in maps are flat, not trees of concatenations (3–4 objects each). */
function flat(...parts: string[]): string {
  return parts.join('');
}

/** A flat copy of a string that may be a concatenation (printed terms are built word by word). */
function flatCopy(s: string): string {
  return s.length < 13 ? s : flat(s.slice(0, 1), s.slice(1));
}

function phraseKey(t: PhraseTerm): string {
  const k = t.words.join(' ');
  return t.prefix ? flat(k, '*') : k;
}

/** Appends to a small array exactly (a push would reserve room for 16 more). */
function append<T>(a: T[], x: T): T[] {
  if (a.length >= 8) {
    a.push(x);
    return a;
  }
  const b = a.slice();
  b[a.length] = x;
  return b;
}

function isSimple(a: Alternative): boolean {
  return a.terms.length === 1 && a.terms[0]!.kind === 'phrase' && !a.terms[0]!.negated;
}

/** How specific a phrase looks: not a prefix, more words, more letters. */
function specificity(t: PhraseTerm): number {
  return (t.prefix ? 0 : 1000) + t.words.length * 100 + Math.min(99, t.words.join('').length);
}

/** An injective key of a query's structure: equal keys ⇔ the same query (so the same matches and terms). */
function termKey(t: Term): string {
  return t.kind === 'phrase'
    ? flat('p', t.negated ? '-' : '+', t.scope ?? '', t.prefix ? '*' : '', JSON.stringify(t.words))
    : flat('r', t.negated ? '-' : '+', t.scope ?? '', JSON.stringify([t.source, t.flags]));
}
function queryKey(q: Query): string {
  const parts: string[] = [];
  for (let a = 0; a < q.alternatives.length; a++) {
    if (a > 0) parts.push('|');
    for (const t of q.alternatives[a]!.terms) parts.push(termKey(t));
  }
  return parts.join('');
}

/** What a window key leads to. */
class KeyNode {
  constructor(readonly key: string) {}
  post: Posting | undefined = undefined;
  /** the terms of a single-phrase query on this key, shared by its groups */
  terms: readonly string[] | undefined = undefined;
  /** indexed keys this key is a proper token-prefix of: windows worth extending */
  pre = 0;
  /** prefix phrases whose tokens before the stem are this key */
  ctx = 0;
}

/** The subscriptions sharing one query. */
class Group {
  /** subscriber ids: a bare string for one */
  members: string | string[];
  /** members when the ids were last relocated */
  placed = 0;
  /** single-alternative groups: the matched terms */
  terms: readonly string[] | undefined;
  /** other groups: matched terms by the bitmask of matched alternatives */
  termsByMask: Map<number, readonly string[]> | undefined;
  /** some alternative has a regex term */
  hasRegex = false;
  constructor(
    readonly key: string,
    id: string,
    /** undefined when every alternative is one positive phrase: the posted keys say everything */
    readonly query: Query | undefined,
    /** the key each alternative is posted under (null = scanned), bare for one alternative */
    readonly posts: KeyNode | null | Array<KeyNode | null>,
    /** several simple alternatives: the printed term of each */
    readonly simpleTerms: string[] | undefined,
  ) {
    this.members = id;
  }
}

function grow(a: Int32Array<ArrayBuffer>, n: number): Int32Array<ArrayBuffer> {
  if (a.length >= n) return a;
  const b = new Int32Array(Math.max(n, a.length * 2, 1024));
  b.set(a);
  return b;
}

export class SubscriptionIndex {
  private readonly slotOf = new Map<string, number>();
  private slots = 0;
  private slotGroup = new Int32Array(0);
  /** position of the slot in its group's member list */
  private slotPos = new Int32Array(0);
  private readonly freeSlots: number[] = [];

  private readonly groupOf = new Map<string, number>();
  private readonly groups: Array<Group | undefined> = [];
  private readonly freeGroups: number[] = [];

  private readonly nodes = new Map<string, KeyNode>();
  /** prefix phrases with a one-word stem ("kor*"): probed for every token */
  private rootStars = 0;
  private readonly stemLenCount = new Map<number, number>();
  private stemLens: number[] = [];
  private readonly fieldRefs = [0, 0, 0, 0, 0];
  /** group·32+alt of alternatives with no positive phrase */
  private readonly scan = new Set<number>();
  /** groups with a regex term */
  private regexGroups = 0;

  get size(): number {
    return this.slotOf.size;
  }

  has(id: string): boolean {
    return this.slotOf.has(id);
  }

  /** Adds a subscription; replaces an existing one with the same id. */
  add(id: string, query: Query): void {
    if (this.slotOf.has(id)) this.remove(id);
    const alts = query.alternatives;
    if (alts.length > 32) throw new RangeError('a query has at most 32 alternatives');
    const slot = this.freeSlots.pop() ?? this.slots++;
    this.slotOf.set(id, slot);
    this.slotGroup = grow(this.slotGroup, slot + 1);
    this.slotPos = grow(this.slotPos, slot + 1);

    const key = queryKey(query);
    const g = this.groupOf.get(key);
    if (g !== undefined) {
      const group = this.groups[g]!;
      this.slotGroup[slot] = g;
      if (typeof group.members === 'string') {
        this.slotPos[slot] = 1;
        group.members = [group.members, id];
      } else {
        const m = (group.members = append(group.members, id));
        this.slotPos[slot] = m.length - 1;
        if (m.length >= 8 && (m.length - group.placed) * 4 > group.placed) {
          this.relocate(m);
          group.placed = m.length;
        }
      }
      return;
    }
    const gi = this.freeGroups.pop() ?? this.groups.length;
    this.groupOf.set(key, gi);
    this.slotGroup[slot] = gi;
    this.slotPos[slot] = 0;

    const simple = alts.every(isSimple);
    const posts: Array<KeyNode | null> = [];
    const simpleTerms: string[] = [];
    alts.forEach((a, alt) => {
      const code = gi * 32 + alt;
      if (isSimple(a)) {
        const t = a.terms[0] as PhraseTerm;
        const node = this.post(phraseKey(t), code * 64 + scopeMask(t.scope));
        const text = formatTermText(t);
        simpleTerms.push(text === node.key ? node.key : flatCopy(text));
        posts.push(node);
        return;
      }
      const t = this.indexTerm(a);
      if (t) posts.push(this.post(phraseKey(t), code * 64 + 32 + scopeMask(t.scope)));
      else {
        posts.push(null);
        this.scan.add(code);
      }
    });
    const one = alts.length === 1;
    const group = new Group(key, id, simple ? undefined : query, one ? posts[0]! : posts, simple && !one ? simpleTerms : undefined);
    if (one && simple) group.terms = posts[0]!.terms ??= Object.freeze([simpleTerms[0]!]);
    else if (one) group.terms = Object.freeze(dedupe(alternativeTerms(alts[0]!).map(flatCopy)));
    group.hasRegex = alts.some((a) => a.terms.some((t) => t.kind === 'regex'));
    if (group.hasRegex) this.regexGroups++;
    this.groups[gi] = group;
  }

  /** Removes a subscription; false when the id is unknown. */
  remove(id: string): boolean {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return false;
    const gi = this.slotGroup[slot]!;
    const group = this.groups[gi]!;
    this.slotOf.delete(id);
    this.freeSlots.push(slot);
    const m = group.members;
    if (typeof m !== 'string') {
      const pos = this.slotPos[slot]!;
      const last = m.pop()!;
      if (pos < m.length) {
        m[pos] = last;
        this.slotPos[this.slotOf.get(last)!] = pos;
      }
      if (m.length === 1) {
        group.members = m[0]!;
        this.slotPos[this.slotOf.get(m[0]!)!] = 0;
      }
      return true;
    }
    // the last subscriber of this query: unpost it
    const posts = Array.isArray(group.posts) ? group.posts : [group.posts];
    posts.forEach((n, alt) => {
      const code = gi * 32 + alt;
      if (n === null) this.scan.delete(code);
      else this.unpost(n, code);
    });
    if (group.hasRegex) this.regexGroups--;
    this.groupOf.delete(group.key);
    this.groups[gi] = undefined;
    this.freeGroups.push(gi);
    return true;
  }

  /**
   * Gives a growing group fresh copies of its ids, allocated one after another, and keys them in `slotOf`
   * instead of the old ones. Expanding a popular query touches each id's header (for its hash): ids
   * scattered over the heap cost a cache miss each, ids side by side do not (measured 3× per result).
   * Called at powers of two, so each id is copied about twice in all.
   */
  private relocate(m: string[]): void {
    for (let k = 0; k < m.length; k++) {
      const old = m[k]!;
      const copy = (old + ' ').slice(0, -1);
      const slot = this.slotOf.get(old)!;
      this.slotOf.delete(old);
      this.slotOf.set(copy, slot);
      m[k] = copy;
    }
  }

  /**
   * The positive phrase a non-simple alternative is posted under, or undefined (regex-only: scanned): the one
   * with the fewest postings so far, the most specific on ties; prefixes last.
   */
  private indexTerm(a: Alternative): PhraseTerm | undefined {
    let best: PhraseTerm | undefined;
    let bestCost = Infinity;
    for (const t of a.terms) {
      if (t.negated || t.kind !== 'phrase') continue;
      const p = this.nodes.get(phraseKey(t))?.post;
      const postings = p === undefined ? 0 : typeof p === 'number' ? 1 : p.length;
      const cost = (t.prefix ? 1e12 : 0) + postings * 4096 - specificity(t);
      if (cost < bestCost) {
        best = t;
        bestCost = cost;
      }
    }
    return best;
  }

  private node(key: string): KeyNode {
    let n = this.nodes.get(key);
    if (n === undefined) this.nodes.set(key, (n = new KeyNode(key)));
    return n;
  }

  private release(n: KeyNode): void {
    if (n.post === undefined && n.pre === 0 && n.ctx === 0) this.nodes.delete(n.key);
  }

  private post(key: string, code: number): KeyNode {
    const n = this.node(key);
    const p = n.post;
    if (p === undefined && key.endsWith('*')) this.stemCache.clear();
    if (p === undefined) n.post = code;
    else if (typeof p === 'number') n.post = [p, code];
    else n.post = append(p, code);
    this.structure(n.key, code % 32, +1);
    return n;
  }

  private unpost(n: KeyNode, altCode: number): void {
    const key = n.key;
    const p = n.post;
    if (p === undefined) return;
    let code: number | undefined;
    if (typeof p === 'number') {
      if (Math.floor(p / 64) !== altCode) return;
      code = p;
      n.post = undefined;
      if (key.endsWith('*')) this.stemCache.clear();
    } else {
      const i = p.findIndex((c) => Math.floor(c / 64) === altCode);
      if (i < 0) return;
      code = p[i]!;
      p.splice(i, 1);
      if (p.length === 1) n.post = p[0]!;
    }
    this.structure(key, code % 32, -1);
    this.release(n);
  }

  /** Maintains prefix and context counters, stem lengths and field use for one key. */
  private structure(key: string, mask: number, delta: 1 | -1): void {
    const star = key.endsWith('*');
    const words = (star ? key.slice(0, -1) : key).split(' ');
    const upto = star ? words.length - 2 : words.length - 1;
    for (let k = 0; k < upto; k++) {
      const n = this.node(words.slice(0, k + 1).join(' '));
      n.pre += delta;
      if (delta < 0) this.release(n);
    }
    if (star) {
      const ctx = words.slice(0, -1).join(' ');
      if (ctx === '') this.rootStars += delta;
      else {
        const n = this.node(ctx);
        n.ctx += delta;
        if (delta < 0) this.release(n);
      }
      const len = words[words.length - 1]!.length;
      const c = (this.stemLenCount.get(len) ?? 0) + delta;
      if (c <= 0) this.stemLenCount.delete(len);
      else this.stemLenCount.set(len, c);
      this.stemLens = [...this.stemLenCount.keys()].sort((a, b) => a - b);
    }
    for (let b = 0; b < 5; b++) if (mask & (1 << b)) this.fieldRefs[b]! += delta;
  }

  /** scratch per match: alternatives hit / to evaluate, by group, and the groups touched */
  private hitAlts = new Int32Array(0);
  private candAlts = new Int32Array(0);
  private readonly touched: number[] = [];
  private readonly matched: Array<string | string[]> = [];
  private readonly matchedTerms: Array<readonly string[]> = [];

  /** Subscription id → matched terms, exactly as evaluateQuery over every subscription would give. */
  match(item: MatchableItem): Map<string, string[]> {
    const prepared = new PreparedItem(item);
    if (this.hitAlts.length < this.groups.length) {
      this.hitAlts = grow(this.hitAlts, this.groups.length);
      this.candAlts = grow(this.candAlts, this.groups.length);
    }
    const nodes = this.nodes;
    const rootStar = this.rootStars > 0;

    for (let f = 0; f < 5; f++) {
      if (this.fieldRefs[f] === 0) continue;
      const bit = FIELD_ORDER[f]!;
      const segs = prepared.field(bit);
      for (let s = 0; s < segs.length; s++) {
        const toks = segs[s]!.tokens;
        const len = toks.length;
        for (let i = 0; i < len; i++) {
          let key = toks[i]!;
          if (rootStar) this.rootStems(key, bit);
          for (let j = i; ; ) {
            const n = nodes.get(key);
            if (n === undefined) break;
            const p = n.post;
            if (p !== undefined) {
              if (typeof p === 'number') this.take(p, bit);
              else for (let k = 0; k < p.length; k++) this.take(p[k]!, bit);
            }
            if (n.ctx > 0 && j + 1 < len) this.stems(toks[j + 1]!, key + ' ', bit);
            if (n.pre === 0 || ++j >= len) break;
            key = key + ' ' + toks[j]!; // a lookup key only: concatenation is cheaper than a flat copy
          }
        }
      }
    }

    const hitAlts = this.hitAlts;
    const candAlts = this.candAlts;
    const touched = this.touched;
    for (const code of this.scan) {
      const alt = code % 32;
      const g = (code - alt) / 32;
      if (hitAlts[g] === 0 && candAlts[g] === 0) touched.push(g);
      candAlts[g]! |= 1 << alt;
    }

    if (this.regexGroups > 0) {
      let regexes: RegexTerm[] | undefined;
      for (let t = 0; t < touched.length; t++) {
        const g = touched[t]!;
        const alts = candAlts[g]!;
        if (alts === 0 || !this.groups[g]!.hasRegex) continue;
        const q = this.groups[g]!.query!;
        for (let a = 0; a < q.alternatives.length; a++)
          if (alts & (1 << a)) for (const term of q.alternatives[a]!.terms) if (term.kind === 'regex') (regexes ??= []).push(term);
      }
      if (regexes) prepared.runRegexes(regexes);
    }

    // evaluate the candidates; keep the groups that matched, with their terms
    const matched = this.matched;
    const matchedTerms = this.matchedTerms;
    let nm = 0;
    for (let t = 0; t < touched.length; t++) {
      const g = touched[t]!;
      let got = hitAlts[g]!;
      const alts = candAlts[g]!;
      hitAlts[g] = 0;
      candAlts[g] = 0;
      const group = this.groups[g]!;
      if (alts !== 0) {
        const q = group.query!;
        for (let a = 0; a < q.alternatives.length; a++) {
          const b = 1 << a;
          if (alts & b && !(got & b) && evaluateAlternative(q.alternatives[a]!, prepared)) got |= b;
        }
        if (got === 0) continue;
      }
      matched[nm] = group.members;
      matchedTerms[nm++] = group.terms ?? this.termsOf(group, got);
    }
    touched.length = 0;

    // one entry per subscriber: ids of a group are adjacent in memory, the terms array is shared
    const out = new Map<string, string[]>();
    for (let k = 0; k < nm; k++) {
      const m = matched[k]!;
      const terms = matchedTerms[k] as string[];
      if (typeof m === 'string') out.set(m, terms);
      else for (let i = 0; i < m.length; i++) out.set(m[i]!, terms);
    }
    matched.length = 0;
    matchedTerms.length = 0;
    return out;
  }

  private take(code: number, bit: number): void {
    const low = code % 64;
    if ((low & bit) === 0) return; // not in a field of the term's scope
    const altCode = (code - low) / 64;
    const alt = altCode % 32;
    const g = (altCode - alt) / 32;
    if (this.hitAlts[g] === 0 && this.candAlts[g] === 0) this.touched.push(g);
    if (low & 32) this.candAlts[g]! |= 1 << alt;
    else this.hitAlts[g]! |= 1 << alt;
  }

  /** token → the nodes of one-word prefix keys ("kor*") it matches; cleared whenever prefix keys change */
  private readonly stemCache = new Map<string, KeyNode[] | null>();

  private rootStems(tok: string, bit: number): void {
    let found = this.stemCache.get(tok);
    if (found === undefined) {
      found = null;
      const stemLens = this.stemLens;
      for (let s = 0; s < stemLens.length; s++) {
        const L = stemLens[s]!;
        if (L > tok.length) break;
        const n = this.nodes.get(flat(tok.slice(0, L), '*'));
        if (n?.post !== undefined) (found ??= []).push(n);
      }
      if (this.stemCache.size >= 100_000) this.stemCache.clear();
      this.stemCache.set(tok, found);
    }
    if (found === null) return;
    for (let i = 0; i < found.length; i++) {
      const p = found[i]!.post;
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
      const p = this.nodes.get(ctx + tok.slice(0, L) + '*')?.post;
      if (p === undefined) continue;
      if (typeof p === 'number') this.take(p, bit);
      else for (let k = 0; k < p.length; k++) this.take(p[k]!, bit);
    }
  }

  /** The terms of the matched alternatives (bitmask), one frozen array per group and mask. */
  private termsOf(group: Group, alts: number): readonly string[] {
    let byMask = group.termsByMask;
    const hit = byMask?.get(alts);
    if (hit) return hit;
    const terms: string[] = [];
    if (group.query === undefined) {
      const st = group.simpleTerms!;
      for (let a = 0; a < st.length; a++) if (alts & (1 << a) && !terms.includes(st[a]!)) terms.push(st[a]!);
    } else {
      const q = group.query;
      for (let a = 0; a < q.alternatives.length; a++)
        if (alts & (1 << a)) for (const t of alternativeTerms(q.alternatives[a]!)) if (!terms.includes(t)) terms.push(t);
    }
    const frozen = terms.length ? Object.freeze(terms) : EMPTY;
    if (!byMask) group.termsByMask = byMask = new Map();
    if (byMask.size < 64) byMask.set(alts, frozen);
    return frozen;
  }
}

function dedupe(a: string[]): string[] {
  return [...new Set(a)];
}
