/**
 * The subscription index: ties the query decomposer, the presearcher and the candidate matcher together (the shape
 * of Lucene Monitor / Luwak).
 *
 * - Each distinct alternative (decompose.ts) is one **group**, holding the ids of every subscription that has it.
 *   Across thousands of servers most alternatives are a few popular names (`Ukraine` alone, or in `Ukraine, Kyiv`
 *   and a hundred other OR lists), so each is posted, probed and checked once per item, and `matchAlternatives`
 *   answers with the matched groups themselves: their subscribers and shared frozen terms. An item costs what its
 *   distinct matched alternatives cost, however many subscriptions hold them; `match` expands that to one entry per
 *   subscription. An integer slot per (subscription, alternative) makes removal O(1).
 * - An exact alternative (one positive phrase) is posted under its phrase: the hit plus the field check is the
 *   match. Any other is posted under ONE positive phrase it requires and confirmed by the candidate matcher
 *   (candidate.ts) when that phrase occurs in a field of its scope. The phrase chosen is the one with the fewest
 *   postings so far (a phrase many queries use is a popular one, and popular topics are frequent in the news),
 *   the more specific on ties, a prefix only when there is nothing else.
 * - Alternatives with no positive phrase (only regexes) are checked for every item, but only when one of their
 *   owners (guilds) is eligible for it: a regex runs only on items of feeds a guild holding it follows, and once per
 *   item however many hold it.
 */
import { decompose, isExact, phraseKey, reportedTerms, specificity } from './decompose.js';
import { compileChecks, confirms, releaseChecks, type CheckList } from './candidate.js';
import { PreparedItem, scopeMask } from './evaluate.js';
import type { MatchableItem } from './item.js';
import { resolveTerm, type MatchedTerm, type TermRef } from './matched-term.js';
import { append, Candidates, CANDIDATE, ELIGIBLE, HIT, posting, Presearcher, type KeyNode } from './presearch.js';
import type { Alternative, PhraseTerm, Query } from './query.js';

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
  /** its positive terms (deduped, in query order), structured for highlighting; frozen and shared */
  readonly terms: readonly MatchedTerm[];
}

/** The subscriptions sharing one alternative. */
class Group implements AlternativeMatch {
  members: string[];
  /** members when the ids were last relocated */
  placed = 0;
  /** for an alternative with a regex: its owners and how many of its subscriptions each holds */
  owners: Map<string, number> | undefined = undefined;
  private resolved: { terms: readonly MatchedTerm[]; texts: readonly string[] } | undefined = undefined;
  constructor(
    readonly index: number,
    readonly key: string,
    id: string,
    /** the node it is posted under; null: checked for every item (it has no positive phrase) */
    readonly postedUnder: KeyNode | null,
    /** its reported terms as kept (phrase keys shared with the presearcher) */
    private readonly reported: readonly TermRef[],
    /** what to check when its posted phrase hits; undefined for an exact alternative */
    readonly checks: CheckList | undefined,
    readonly hasRegex: boolean,
  ) {
    this.members = [id];
  }
  /** made the first time the alternative matches, then kept */
  get terms(): readonly MatchedTerm[] {
    return (this.resolved ??= this.resolve()).terms;
  }
  /** the terms' canonical texts (for `match`) */
  termTexts(): readonly string[] {
    return (this.resolved ??= this.resolve()).texts;
  }
  private resolve(): { terms: readonly MatchedTerm[]; texts: readonly string[] } {
    const terms = this.reported.map(resolveTerm);
    return { terms: Object.freeze(terms), texts: Object.freeze(terms.map((t) => t.text)) };
  }
}

function grow(a: Int32Array<ArrayBuffer>, n: number): Int32Array<ArrayBuffer> {
  if (a.length >= n) return a;
  const b = new Int32Array(Math.max(n, a.length * 2, 1024));
  b.set(a);
  return b;
}

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

  private readonly presearcher = new Presearcher();
  private readonly candidates = new Candidates();
  /** groups with no positive phrase */
  private readonly unposted = new Set<number>();
  /** the owner of each subscription that holds a regex alternative */
  private readonly regexOwner = new Map<string, string>();
  /** the groups with no positive phrase, by owner: with MatchOptions.eligible, only eligible owners' are checked */
  private readonly unpostedByOwner = new Map<string, Set<number>>();

  get size(): number {
    return this.subs.size;
  }

  /**
   * Adds a subscription; replaces an existing one with the same id. `owner` (its guild) scopes the evaluation of its
   * regex alternatives: see MatchOptions.eligible.
   */
  add(id: string, query: Query, owner = ''): void {
    if (this.subs.has(id)) this.remove(id);
    const slots: number[] = [];
    let grown: Group[] | undefined;
    for (const { key, alternative } of decompose(query)) {
      const slot = this.freeSlots.pop() ?? this.slots++;
      slots.push(slot);
      this.slotGroup = grow(this.slotGroup, slot + 1);
      this.slotPos = grow(this.slotPos, slot + 1);
      const g = this.groupOf.get(key);
      if (g === undefined) {
        const group = this.createGroup(key, id, alternative);
        this.slotGroup[slot] = group.index;
        this.slotPos[slot] = 0;
        if (group.hasRegex) this.own(id, group, owner);
        continue;
      }
      const group = this.groups[g]!;
      if (group.hasRegex) this.own(id, group, owner);
      this.slotGroup[slot] = g;
      const m = (group.members = append(group.members, id));
      this.slotPos[slot] = m.length - 1;
      if (m.length >= 8 && (m.length - group.placed) * 4 > group.placed) (grown ??= []).push(group);
    }
    this.subs.set(id, slots.length === 1 ? slots[0]! : slots);
    for (const group of grown ?? []) {
      relocate(group.members);
      group.placed = group.members.length;
    }
  }

  private own(id: string, group: Group, owner: string): void {
    this.regexOwner.set(id, owner);
    const owners = (group.owners ??= new Map());
    const n = (owners.get(owner) ?? 0) + 1;
    owners.set(owner, n);
    if (n === 1 && group.postedUnder === null) {
      let set = this.unpostedByOwner.get(owner);
      if (!set) this.unpostedByOwner.set(owner, (set = new Set()));
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
    if (group.postedUnder !== null) return;
    const set = this.unpostedByOwner.get(owner);
    set?.delete(group.index);
    if (set?.size === 0) this.unpostedByOwner.delete(owner);
  }

  private createGroup(key: string, id: string, a: Alternative): Group {
    const gi = this.freeGroups.pop() ?? this.groups.length;
    this.groupOf.set(key, gi);
    let group: Group;
    if (isExact(a)) {
      const t = a.terms[0] as PhraseTerm;
      const node = this.presearcher.post(phraseKey(t), posting(gi, false, scopeMask(t.scope)));
      node.exactTerms ??= reportedTerms(a, () => node.key);
      group = new Group(gi, key, id, node, node.exactTerms, undefined, false);
    } else {
      const posted = this.postingPhrase(a);
      let node: KeyNode | null = null;
      if (posted) node = this.presearcher.post(phraseKey(posted), posting(gi, true, scopeMask(posted.scope)));
      else this.unposted.add(gi);
      const hasRegex = a.terms.some((t) => t.kind === 'regex');
      const checks = compileChecks(a, posted, this.presearcher);
      // after posting and compiling: every positive phrase has its node, whose key the terms share
      const terms = reportedTerms(a, (k) => this.presearcher.keyOf(k));
      group = new Group(gi, key, id, node, terms, checks, hasRegex);
    }
    this.groups[gi] = group;
    return group;
  }

  /**
   * The positive phrase a non-exact alternative is posted under, or undefined (regex-only: checked for every item):
   * the one with the fewest postings so far, the most specific on ties; prefixes last.
   */
  private postingPhrase(a: Alternative): PhraseTerm | undefined {
    let best: PhraseTerm | undefined;
    let bestCost = Infinity;
    for (const t of a.terms) {
      if (t.negated || t.kind !== 'phrase') continue;
      const cost = (t.prefix ? 1e12 : 0) + this.presearcher.postingCount(phraseKey(t)) * 4096 - specificity(t);
      if (cost < bestCost) {
        best = t;
        bestCost = cost;
      }
    }
    return best;
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
    if (group.postedUnder === null) this.unposted.delete(gi);
    else this.presearcher.unpost(group.postedUnder, gi);
    if (group.checks) releaseChecks(group.checks, this.presearcher);
    this.groupOf.delete(group.key);
    this.groups[gi] = undefined;
    this.freeGroups.push(gi);
  }

  /** Subscription id → matched terms (canonical text), exactly as evaluateQuery over every subscription would give. */
  match(item: MatchableItem): Map<string, string[]> {
    const matched = this.matchAlternatives(item) as Group[];
    const out = new Map<string, string[]>();
    let several: Set<string> | undefined;
    for (const q of matched) {
      const terms = q.termTexts() as string[];
      for (let i = 0; i < q.members.length; i++) {
        const id = q.members[i]!;
        if (out.has(id)) (several ??= new Set()).add(id);
        else out.set(id, terms);
      }
    }
    if (several) {
      // several alternatives of one query matched: their terms in the query's order
      const hit = new Set(matched.map((q) => q.index));
      for (const id of several) {
        const terms: string[] = [];
        for (const s of this.subs.get(id) as number[]) {
          const g = this.slotGroup[s]!;
          if (hit.has(g)) for (const t of this.groups[g]!.termTexts()) if (!terms.includes(t)) terms.push(t);
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
    const candidates = this.candidates;
    candidates.reserve(this.groups.length);
    const itemNo = this.presearcher.probe(prepared, candidates);

    const eligible = options.eligible;
    let asked: Map<string, boolean> | undefined;
    const isEligible = (owner: string): boolean => {
      let ok = (asked ??= new Map()).get(owner);
      if (ok === undefined) asked.set(owner, (ok = eligible!(owner)));
      return ok;
    };
    // alternatives with no phrase to look up: all of them, or only those an eligible owner holds
    if (!eligible) for (const g of this.unposted) candidates.mark(g, CANDIDATE);
    else
      for (const [owner, groups] of this.unpostedByOwner) {
        if (!isEligible(owner)) continue;
        for (const g of groups) candidates.mark(g, ELIGIBLE);
      }

    const state = candidates.state;
    const touched = candidates.touched;
    const out: AlternativeMatch[] = [];
    for (let t = 0; t < touched.length; t++) {
      const g = touched[t]!;
      const s = state[g];
      state[g] = 0;
      const group = this.groups[g]!;
      if (s === HIT) out.push(group);
      // a regex alternative no eligible owner holds is not evaluated at all (phrases first, regexes last)
      else if (s === CANDIDATE && group.owners && eligible && !anyOwner(group.owners, isEligible)) continue;
      else if (confirms(group.checks!, prepared, itemNo)) out.push(group);
    }
    touched.length = 0;
    return out;
  }
}

/**
 * Gives a growing group fresh copies of its ids, allocated one after another. Whoever reads the subscribers of a
 * popular alternative touches each id's header (for its hash, to look it up): ids scattered over the heap cost a
 * cache miss each, ids side by side do not (measured 1.6× on the expanded result at 1M). Ids are compared by
 * value, so the id map and the subscription's other groups keep theirs (re-keying cost half the build time).
 * Called at powers of two, so each id is copied about twice.
 */
function relocate(m: string[]): void {
  for (let k = 0; k < m.length; k++) m[k] = (m[k]! + ' ').slice(0, -1);
}

function anyOwner(owners: Map<string, number>, isEligible: (owner: string) => boolean): boolean {
  for (const owner of owners.keys()) if (isEligible(owner)) return true;
  return false;
}
