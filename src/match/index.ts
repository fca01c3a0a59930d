/**
 * The subscription index: phrase key → alternatives, probed with every 1..k-token window of an item.
 *
 * - A query is an OR of alternatives, and the index is built from alternatives, not whole queries: queries are
 *   split into their alternatives and each distinct alternative is one **group**, holding the ids of every
 *   subscription that has it (the query decomposition of Lucene Monitor / Luwak). Across thousands of servers
 *   most alternatives are a few popular names (`Ukraine` alone, or in `Ukraine, Kyiv` and a hundred other OR
 *   lists), so each is posted, probed and checked once per item, and `matchAlternatives` answers with the matched
 *   groups themselves: their subscribers and shared frozen `terms`. An item costs what its distinct matched
 *   alternatives cost, however many subscriptions hold them; `match` expands that to one entry per subscription.
 *   An integer slot per (subscription, alternative) makes removal O(1).
 * - A phrase key is its normalised tokens joined by one space; a prefix phrase (`north kor*`) has the key
 *   "north kor*" and is probed with every prefix of the window's last token whose length some indexed stem has.
 * - One map from key to a node holds the key's postings and two counters: how many indexed keys it is a proper
 *   token-prefix of (prefix pruning: a window is extended only while the counter is non-zero, so the cost per
 *   item follows the item's length and the phrases it actually starts) and how many prefix phrases have it as
 *   their context (`north` for `north kor*`). A token that starts nothing costs one lookup.
 * - An exact alternative (one positive phrase) is posted under its phrase: the hit plus the field check is the
 *   match. Any other is posted under ONE positive phrase it requires (the presearcher of Lucene Monitor) and
 *   checked only when that phrase occurs in a field of its scope. The phrase chosen is the one with the fewest
 *   postings so far (a phrase many queries use is a popular one, and popular topics are frequent in the news),
 *   the more specific on ties, a prefix only when there is nothing else. Alternatives with no positive phrase
 *   (only regexes) are checked for every item, but only when one of their owners (guilds) is eligible for it: a
 *   regex runs only on items of feeds a guild holding it follows, and once per item however many hold it.
 * - The other phrases of such an alternative (`+also`, `-not`) are keys of the index too, without postings:
 *   probing stamps every node it reaches with the item's number and the fields it was seen in, so checking a
 *   candidate is a few integer comparisons per term, not a search of the item's text.
 * - Postings are plain numbers `group·64 + candidate·32 + scopeMask`, held as a bare number for a single
 *   posting or a number[]; a hit counts only in a field of the term's scope. Add/remove update groups and
 *   postings in place without rebuilding.
 */
import { alternativeTerms, PreparedItem, scopeMask, termFields } from './evaluate.js';
import type { MatchableItem } from './item.js';
import { formatTermText, type Alternative, type PhraseTerm, type Query, type RegexTerm, type Term } from './query.js';

type Posting = number | number[];

/** How a match is scoped. */
export interface MatchOptions {
  /**
   * Whether an owner (the guild given to `add`) may receive this item, e.g. follows its feed. Alternatives with a
   * regex are evaluated only when some owner holding them is eligible: regexes are the costly terms, so one guild's
   * regexes cost nothing on items of feeds it doesn't follow. Alternatives without regexes are matched as usual
   * (cheap); the caller filters their subscribers. Asked at most once per owner per item.
   */
  eligible?: (owner: string) => boolean;
}

/** One matched alternative: the subscriptions that have it and what it matched on. */
export interface AlternativeMatch {
  /**
   * ids of the subscriptions whose query has this alternative; shared with the index, so read it before the next
   * add or remove. A subscription appears under each of its alternatives that matched.
   */
  readonly members: readonly string[];
  /** the phrases that matched (canonical, deduped); frozen and shared */
  readonly terms: readonly string[];
}

const FIELD_ORDER = [1, 2, 4, 8, 16] as const;
const CANDIDATE = 32;
/** match state of a group: a candidate already known to have an eligible owner */
const ELIGIBLE = 3;

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

function isExact(a: Alternative): boolean {
  return a.terms.length === 1 && a.terms[0]!.kind === 'phrase' && !a.terms[0]!.negated;
}

/** How specific a phrase looks: not a prefix, more words, more letters. */
function specificity(t: PhraseTerm): number {
  return (t.prefix ? 0 : 1000) + t.words.length * 100 + Math.min(99, t.words.join('').length);
}

/** An injective key of an alternative's structure: equal keys ⇔ the same alternative (same matches and terms). */
function termKey(t: Term): string {
  return t.kind === 'phrase'
    ? flat('p', t.negated ? '-' : '+', t.scope ?? '', t.prefix ? '*' : '', JSON.stringify(t.words))
    : flat('r', t.negated ? '-' : '+', t.scope ?? '', JSON.stringify([t.source, t.flags]));
}
function alternativeKey(a: Alternative): string {
  return a.terms.map(termKey).join('');
}

/** What a window key leads to. */
class KeyNode {
  constructor(readonly key: string) {}
  post: Posting | undefined = undefined;
  /** the terms of the exact alternative on this key, shared by its groups */
  terms: readonly string[] | undefined = undefined;
  /** indexed keys this key is a proper token-prefix of: windows worth extending */
  pre = 0;
  /** prefix phrases whose tokens before the stem are this key */
  ctx = 0;
  /** terms checked on candidates (not posted) with this key */
  refs = 0;
  /** the number of the last item this key was seen in, and the fields it was seen in there */
  stamp = 0;
  seen = 0;
}

/**
 * The terms of a candidate alternative still to check once its posted phrase hit, flat: a phrase's key node (or a
 * regex term) followed by a code, its scope's field bits plus NEGATED and REGEX.
 */
type CheckList = Array<KeyNode | RegexTerm | number>;
const NEGATED = 32;
const REGEX = 64;

/** The subscriptions sharing one alternative. */
class Group implements AlternativeMatch {
  members: string[];
  /** members when the ids were last relocated */
  placed = 0;
  constructor(
    readonly index: number,
    readonly key: string,
    id: string,
    /** the key it is posted under; null: checked for every item (it has no positive phrase) */
    readonly post: KeyNode | null,
    readonly terms: readonly string[],
    /** what to check when its posted phrase hits; undefined for an exact alternative */
    readonly checks: CheckList | undefined,
    /** its regex terms */
    readonly regexes: RegexTerm[] | undefined,
  ) {
    this.members = [id];
  }
  /** for an alternative with a regex: its owners and how many of its subscriptions each holds */
  owners: Map<string, number> | undefined = undefined;
}

function grow<A extends Int32Array<ArrayBuffer> | Uint8Array<ArrayBuffer>>(a: A, n: number, make: (n: number) => A): A {
  if (a.length >= n) return a;
  const b = make(Math.max(n, a.length * 2, 1024));
  b.set(a);
  return b;
}
const int32s = (n: number) => new Int32Array(n);

export class SubscriptionIndex {
  /** subscription id → its slot, or slots (one per distinct alternative, in query order) */
  private readonly subs = new Map<string, number | number[]>();
  private slots = 0;
  private slotGroup = new Int32Array(0);
  /** position of the slot's id in its group's member list */
  private slotPos = new Int32Array(0);
  private readonly freeSlots: number[] = [];

  private readonly groupOf = new Map<string, number>();
  private readonly groups: Array<Group | undefined> = [];
  private readonly freeGroups: number[] = [];

  private readonly nodes = new Map<string, KeyNode>();
  /** prefix phrases with a one-word stem ("kor*"): probed for every token */
  private rootStars = 0;
  /**
   * One-word stems by their first min(length, 4) UTF-16 units, hashed, in one table per head length (2, 3, 4), and
   * how many stems each table holds. A token whose heads no stem has (most tokens) skips the stem lookups.
   */
  private stemHeads: Int32Array | undefined; // 768 KB, made with the first one-word stem
  private readonly stemHeadCount = [0, 0, 0];
  private readonly stemLenCount = new Map<number, number>();
  private stemLens: number[] = [];
  private readonly fieldRefs = [0, 0, 0, 0, 0];
  /** groups with no positive phrase */
  private readonly scan = new Set<number>();
  /** the owner of each subscription that holds a regex alternative */
  private readonly regexOwner = new Map<string, string>();
  /** the groups with no positive phrase, by owner: with MatchOptions.eligible, only eligible owners' are scanned */
  private readonly scanByOwner = new Map<string, Set<number>>();

  get size(): number {
    return this.subs.size;
  }

  has(id: string): boolean {
    return this.subs.has(id);
  }

  /**
   * Adds a subscription; replaces an existing one with the same id. `owner` (its guild) scopes the evaluation of its
   * regex alternatives: see MatchOptions.eligible.
   */
  add(id: string, query: Query, owner = ''): void {
    if (this.subs.has(id)) this.remove(id);
    const slots: number[] = [];
    const alts = query.alternatives;
    const keys = alts.length > 1 ? new Set<string>() : undefined;
    let grown: Group[] | undefined;
    for (const a of alts) {
      const key = alternativeKey(a);
      if (keys) {
        if (keys.has(key)) continue; // the same alternative twice adds nothing
        keys.add(key);
      }
      const slot = this.freeSlots.pop() ?? this.slots++;
      slots.push(slot);
      this.slotGroup = grow(this.slotGroup, slot + 1, int32s);
      this.slotPos = grow(this.slotPos, slot + 1, int32s);
      const g = this.groupOf.get(key);
      if (g === undefined) {
        const group = this.createGroup(key, id, a);
        this.slotGroup[slot] = group.index;
        this.slotPos[slot] = 0;
        if (group.regexes) this.own(id, group, owner);
        continue;
      }
      const group = this.groups[g]!;
      if (group.regexes) this.own(id, group, owner);
      this.slotGroup[slot] = g;
      const m = (group.members = append(group.members, id));
      this.slotPos[slot] = m.length - 1;
      if (m.length >= 8 && (m.length - group.placed) * 4 > group.placed) (grown ??= []).push(group);
    }
    this.subs.set(id, slots.length === 1 ? slots[0]! : slots);
    for (const group of grown ?? []) {
      this.relocate(group.members);
      group.placed = group.members.length;
    }
  }

  private own(id: string, group: Group, owner: string): void {
    this.regexOwner.set(id, owner);
    const owners = (group.owners ??= new Map());
    const n = (owners.get(owner) ?? 0) + 1;
    owners.set(owner, n);
    if (n === 1 && group.post === null) {
      let set = this.scanByOwner.get(owner);
      if (!set) this.scanByOwner.set(owner, (set = new Set()));
      set.add(group.index);
    }
  }

  private disown(group: Group, owner: string): void {
    const owners = group.owners!;
    const n = (owners.get(owner) ?? 0) - 1;
    if (n > 0) {
      owners.set(owner, n);
      return;
    }
    owners.delete(owner);
    if (group.post !== null) return;
    const set = this.scanByOwner.get(owner);
    set?.delete(group.index);
    if (set?.size === 0) this.scanByOwner.delete(owner);
  }

  private createGroup(key: string, id: string, a: Alternative): Group {
    const gi = this.freeGroups.pop() ?? this.groups.length;
    this.groupOf.set(key, gi);
    let group: Group;
    if (isExact(a)) {
      const t = a.terms[0] as PhraseTerm;
      const node = this.post(phraseKey(t), gi * 64 + scopeMask(t.scope));
      const text = formatTermText(t);
      node.terms ??= Object.freeze([text === node.key ? node.key : flatCopy(text)]);
      group = new Group(gi, key, id, node, node.terms, undefined, undefined);
    } else {
      const posted = this.indexTerm(a);
      let node: KeyNode | null = null;
      if (posted) node = this.post(phraseKey(posted), gi * 64 + CANDIDATE + scopeMask(posted.scope));
      else this.scan.add(gi);
      const regexes = a.terms.filter((t): t is RegexTerm => t.kind === 'regex');
      const terms = Object.freeze([...new Set(alternativeTerms(a).map(flatCopy))]);
      group = new Group(gi, key, id, node, terms, this.checksOf(a, posted), regexes.length ? regexes : undefined);
    }
    this.groups[gi] = group;
    return group;
  }

  /** The checks of a non-exact alternative: its terms but the posted one, phrases first (integer tests), regexes last. */
  private checksOf(a: Alternative, posted: PhraseTerm | undefined): CheckList {
    const list: CheckList = [];
    // positives before exclusions (most candidates fail on a missing `+phrase`), regexes last
    const order = (t: Term) => (t.kind === 'regex' ? 2 : t.negated ? 1 : 0);
    for (const t of [...a.terms].sort((x, y) => order(x) - order(y))) {
      if (t === posted) continue;
      const mask = scopeMask(t.scope);
      const code = mask | (t.negated ? NEGATED : 0);
      if (t.kind === 'regex') {
        list.push(t, code | REGEX);
        continue;
      }
      const node = this.node(phraseKey(t));
      node.refs++;
      this.structure(node.key, mask, +1);
      list.push(node, code);
    }
    return list;
  }

  /** Removes a subscription; false when the id is unknown. */
  remove(id: string): boolean {
    const slots = this.subs.get(id);
    if (slots === undefined) return false;
    this.subs.delete(id);
    const owner = this.regexOwner.get(id);
    this.regexOwner.delete(id);
    for (const slot of typeof slots === 'number' ? [slots] : slots) {
      this.freeSlots.push(slot);
      const g = this.slotGroup[slot]!;
      const group = this.groups[g]!;
      if (group.owners && owner !== undefined) this.disown(group, owner);
      const m = group.members;
      if (m.length === 1) {
        this.disposeGroup(group);
        continue;
      }
      const pos = this.slotPos[slot]!;
      const last = m.pop()!;
      if (pos < m.length) {
        m[pos] = last;
        this.slotPos[this.slotIn(last, g)] = pos;
      }
    }
    return true;
  }

  /** The slot of a subscription in a group. */
  private slotIn(id: string, g: number): number {
    const slots = this.subs.get(id)!;
    if (typeof slots === 'number') return slots;
    for (const s of slots) if (this.slotGroup[s] === g) return s;
    throw new Error(`index corrupt: ${id} is not in group ${g}`);
  }

  /** The last subscriber of an alternative left: unpost it. */
  private disposeGroup(group: Group): void {
    const gi = group.index;
    if (group.post === null) this.scan.delete(gi);
    else this.unpost(group.post, gi);
    const list = group.checks ?? [];
    for (let i = 0; i < list.length; i += 2) {
      const code = list[i + 1] as number;
      if (code & REGEX) continue;
      const n = list[i] as KeyNode;
      n.refs--;
      this.structure(n.key, code & 31, -1);
      this.release(n);
    }
    this.groupOf.delete(group.key);
    this.groups[gi] = undefined;
    this.freeGroups.push(gi);
  }

  /**
   * Gives a growing group fresh copies of its ids, allocated one after another. Whoever reads the subscribers of a
   * popular alternative touches each id's header (for its hash, to look it up): ids scattered over the heap cost a
   * cache miss each, ids side by side do not (measured 1.6× on the expanded result at 1M). Ids are compared by
   * value, so the id map and the subscription's other groups keep theirs (re-keying cost half the build time).
   * Called at powers of two, so each id is copied about twice.
   */
  private relocate(m: string[]): void {
    for (let k = 0; k < m.length; k++) m[k] = (m[k]! + ' ').slice(0, -1);
  }

  /**
   * The positive phrase a non-exact alternative is posted under, or undefined (regex-only: scanned): the one
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
    if (n === undefined) {
      this.nodes.set(key, (n = new KeyNode(key)));
      if (key.endsWith('*')) this.stemCache.clear();
    }
    return n;
  }

  private release(n: KeyNode): void {
    if (n.post === undefined && n.pre === 0 && n.ctx === 0 && n.refs === 0 && this.nodes.get(n.key) === n) {
      this.nodes.delete(n.key);
      if (n.key.endsWith('*')) this.stemCache.clear();
    }
  }

  private post(key: string, code: number): KeyNode {
    const n = this.node(key);
    const p = n.post;
    if (p === undefined) n.post = code;
    else if (typeof p === 'number') n.post = [p, code];
    else n.post = append(p, code);
    this.structure(n.key, code % 32, +1);
    return n;
  }

  private unpost(n: KeyNode, g: number): void {
    const p = n.post;
    if (p === undefined) return;
    let code: number | undefined;
    if (typeof p === 'number') {
      if (Math.floor(p / 64) !== g) return;
      code = p;
      n.post = undefined;
    } else {
      const i = p.findIndex((c) => Math.floor(c / 64) === g);
      if (i < 0) return;
      code = p[i]!;
      p.splice(i, 1);
      if (p.length === 1) n.post = p[0]!;
    }
    this.structure(n.key, code % 32, -1);
    this.release(n);
  }

  /** Maintains prefix and context counters, stem lengths and heads, and field use for one key. */
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
      const stem = words[words.length - 1]!;
      const ctx = words.slice(0, -1).join(' ');
      if (ctx === '') {
        this.rootStars += delta;
        const k = Math.min(stem.length, 4);
        this.stemHeads ??= new Int32Array(3 * 65536);
        this.stemHeads[headOf(stem, k)]! += delta;
        this.stemHeadCount[k - 2]! += delta;
      } else {
        const n = this.node(ctx);
        n.ctx += delta;
        if (delta < 0) this.release(n);
      }
      const c = (this.stemLenCount.get(stem.length) ?? 0) + delta;
      if (c <= 0) this.stemLenCount.delete(stem.length);
      else this.stemLenCount.set(stem.length, c);
      this.stemLens = [...this.stemLenCount.keys()].sort((a, b) => a - b);
    }
    for (let b = 0; b < 5; b++) if (mask & (1 << b)) this.fieldRefs[b]! += delta;
  }

  /** scratch per match: by group, 1 = hit, 2 = candidate; the groups touched, in order */
  private state = new Uint8Array(0);
  private readonly touched: number[] = [];
  /** the number of the item being matched: nodes stamped with it were seen in it */
  private stamp = 0;

  /** Subscription id → matched terms, exactly as evaluateQuery over every subscription would give. */
  match(item: MatchableItem): Map<string, string[]> {
    const matched = this.matchAlternatives(item);
    const out = new Map<string, string[]>();
    let several: Set<string> | undefined;
    for (const q of matched) {
      const terms = q.terms as string[];
      for (let i = 0; i < q.members.length; i++) {
        const id = q.members[i]!;
        if (out.has(id)) (several ??= new Set()).add(id);
        else out.set(id, terms);
      }
    }
    if (several) {
      // several alternatives of one query matched: their terms in the query's order
      const hit = new Set(matched.map((q) => (q as Group).index));
      for (const id of several) {
        const terms: string[] = [];
        for (const s of this.subs.get(id) as number[]) {
          const g = this.slotGroup[s]!;
          if (hit.has(g)) for (const t of this.groups[g]!.terms) if (!terms.includes(t)) terms.push(t);
        }
        out.set(id, terms);
      }
    }
    return out;
  }

  /**
   * The distinct alternatives that match the item, each once, with their subscribers: together the same
   * subscriptions and terms as `match`, at a cost that follows the alternatives matched rather than the
   * subscriptions holding them.
   */
  matchAlternatives(item: MatchableItem, options: MatchOptions = {}): AlternativeMatch[] {
    const prepared = new PreparedItem(item);
    if (this.state.length < this.groups.length) this.state = grow(this.state, this.groups.length, (n) => new Uint8Array(n));
    const cur = ++this.stamp;
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
          if (rootStar) this.rootStems(key, bit, cur);
          for (let j = i; ; ) {
            const n = nodes.get(key);
            if (n === undefined) break;
            if (n.stamp !== cur) {
              n.stamp = cur;
              n.seen = bit;
            } else n.seen |= bit;
            const p = n.post;
            if (p !== undefined) {
              if (typeof p === 'number') this.take(p, bit);
              else for (let k = 0; k < p.length; k++) this.take(p[k]!, bit);
            }
            if (n.ctx > 0 && j + 1 < len) this.stems(toks[j + 1]!, key + ' ', bit, cur);
            if (n.pre === 0 || ++j >= len) break;
            key = key + ' ' + toks[j]!; // a lookup key only: concatenation is cheaper than a flat copy
          }
        }
      }
    }

    const state = this.state;
    const touched = this.touched;
    const eligible = options.eligible;
    let asked: Map<string, boolean> | undefined;
    const isEligible = (owner: string): boolean => {
      let ok = (asked ??= new Map()).get(owner);
      if (ok === undefined) asked.set(owner, (ok = eligible!(owner)));
      return ok;
    };
    // alternatives with no phrase to look up: all of them, or only those an eligible owner holds
    if (!eligible)
      for (const g of this.scan) {
        if (state[g] === 0) touched.push(g);
        state[g] = 2;
      }
    else
      for (const [owner, groups] of this.scanByOwner) {
        if (!isEligible(owner)) continue;
        for (const g of groups) {
          if (state[g] === 0) touched.push(g);
          state[g] = ELIGIBLE;
        }
      }

    const out: AlternativeMatch[] = [];
    for (let t = 0; t < touched.length; t++) {
      const g = touched[t]!;
      const s = state[g];
      state[g] = 0;
      const group = this.groups[g]!;
      if (s === 1) out.push(group);
      // a regex alternative no eligible owner holds is not evaluated at all (phrases first, regexes last)
      else if (s === 2 && group.owners && eligible && !anyOwner(group.owners, isEligible)) continue;
      else if (passes(group.checks!, prepared, cur)) out.push(group);
    }
    touched.length = 0;
    return out;
  }

  /** A posting of a key found in field `bit`. */
  private take(code: number, bit: number): void {
    const low = code % 64;
    if ((low & bit) === 0) return; // not in a field of the term's scope
    const g = (code - low) / 64;
    const state = this.state;
    if (state[g] === 0) {
      this.touched.push(g);
      state[g] = low & CANDIDATE ? 2 : 1;
    }
  }

  /** token → the nodes of one-word prefix keys ("kor*") it matches; cleared whenever prefix keys come or go */
  private readonly stemCache = new Map<string, KeyNode[] | null>();

  private rootStems(tok: string, bit: number, cur: number): void {
    const heads = this.stemHeads!;
    const count = this.stemHeadCount;
    const len = tok.length;
    if (
      !(len >= 4 && count[2]! > 0 && heads[headOf(tok, 4)]! > 0) &&
      !(len >= 3 && count[1]! > 0 && heads[headOf(tok, 3)]! > 0) &&
      !(len >= 2 && count[0]! > 0 && heads[headOf(tok, 2)]! > 0)
    )
      return;
    let found = this.stemCache.get(tok);
    if (found === undefined) {
      found = null;
      const stemLens = this.stemLens;
      for (let s = 0; s < stemLens.length; s++) {
        const L = stemLens[s]!;
        if (L > tok.length) break;
        const n = this.nodes.get(flat(tok.slice(0, L), '*'));
        if (n !== undefined) (found ??= []).push(n);
      }
      if (this.stemCache.size >= 100_000) this.stemCache.clear();
      this.stemCache.set(tok, found);
    }
    if (found === null) return;
    for (let i = 0; i < found.length; i++) this.hitStem(found[i]!, bit, cur);
  }

  private stems(tok: string, ctx: string, bit: number, cur: number): void {
    const stemLens = this.stemLens;
    const n = tok.length;
    for (let s = 0; s < stemLens.length; s++) {
      const L = stemLens[s]!;
      if (L > n) break;
      const node = this.nodes.get(ctx + tok.slice(0, L) + '*');
      if (node !== undefined) this.hitStem(node, bit, cur);
    }
  }

  private hitStem(n: KeyNode, bit: number, cur: number): void {
    if (n.stamp !== cur) {
      n.stamp = cur;
      n.seen = bit;
    } else n.seen |= bit;
    const p = n.post;
    if (p === undefined) return;
    if (typeof p === 'number') this.take(p, bit);
    else for (let k = 0; k < p.length; k++) this.take(p[k]!, bit);
  }
}

/** The slot of a string's first k (2–4) UTF-16 units in the stem-head tables. */
function headOf(s: string, k: number): number {
  let h = 0;
  for (let i = 0; i < k; i++) h = Math.imul(h, 31) + s.charCodeAt(i);
  return (k - 2) * 65536 + ((h ^ (h >>> 16)) & 0xffff);
}

function anyOwner(owners: Map<string, number>, isEligible: (owner: string) => boolean): boolean {
  for (const owner of owners.keys()) if (isEligible(owner)) return true;
  return false;
}

/** Does a candidate alternative hold? Phrases by their stamps (seen in this item, in a field of the scope). */
function passes(checks: CheckList, prepared: PreparedItem, cur: number): boolean {
  for (let i = 0; i < checks.length; i += 2) {
    const code = checks[i + 1] as number;
    let present: boolean;
    if (code & REGEX) present = termFields(checks[i] as RegexTerm, prepared, code & 31) !== 0;
    else {
      const n = checks[i] as KeyNode;
      present = n.stamp === cur && (n.seen & code & 31) !== 0;
    }
    if (present === ((code & NEGATED) !== 0)) return false;
  }
  return true;
}
