/**
 * The presearcher (Lucene Monitor's Presearcher): item tokens → the alternatives worth checking, via one map from
 * phrase key to a node, probed with every 1..k-token window of each field of the item.
 *
 * - A phrase key is its normalised tokens joined by one space; a prefix phrase (`north kor*`) has the key
 *   "north kor*" and is probed with every prefix of the window's last token whose length some indexed stem has.
 * - A node holds the key's postings and two counters: how many indexed keys it is a proper token-prefix of (a
 *   window is extended only while that is non-zero, so the cost per item follows the item's length and the phrases
 *   it actually starts) and how many prefix phrases have it as their context (`north` for `north kor*`). A token
 *   that starts nothing costs one lookup.
 * - Keys a candidate check needs but nothing is posted under are nodes too: probing stamps every node it reaches
 *   with the item's number and the fields it was seen in, so a check is a few integer comparisons (candidate.ts).
 * - A posting is one number, `group·64 + NEEDS_CHECK? + scope field bits`, held bare for a single posting or in a
 *   number[]; a hit counts only in a field of the term's scope. Add/remove update postings in place.
 */
import { ALL_FIELDS, FIELD_ORDER, type PreparedItem } from './evaluate.js';
import { flat } from './decompose.js';
import type { TermRef } from './matched-term.js';

type Postings = number | number[];

/** Posting flag: the alternative has more terms to check once this phrase hits (it is a candidate, not a match). */
const NEEDS_CHECK = 32;
const GROUP_UNIT = 64;

/** A posting for a group: its index, whether it needs checking, the fields its phrase counts in. */
export function posting(group: number, needsCheck: boolean, scope: number): number {
  return group * GROUP_UNIT + (needsCheck ? NEEDS_CHECK : 0) + scope;
}

/** What a window key leads to. */
export class KeyNode {
  constructor(readonly key: string) {}
  postings: Postings | undefined = undefined;
  /** the terms of the exact alternatives posted here, shared by their groups */
  exactTerms: readonly TermRef[] | undefined = undefined;
  /** indexed keys this key is a proper token-prefix of: windows worth extending */
  longerKeys = 0;
  /** prefix phrases whose tokens before the stem are this key */
  stemContexts = 0;
  /** candidate checks (not postings) that test this key */
  checks = 0;
  /** the number of the last item this key was seen in, and the fields (bits) it was seen in there */
  seenInItem = 0;
  seenFields = 0;
}

/** What one probe found, by group: 0 = nothing, HIT = matched, CANDIDATE = to check, ELIGIBLE = to check, owner known. */
export const HIT = 1;
export const CANDIDATE = 2;
export const ELIGIBLE = 3;

/** Scratch of one match: the state of each group and the groups touched, in order. Reset by whoever reads it. */
export class Candidates {
  state = new Uint8Array(0);
  readonly touched: number[] = [];

  /** Room for `groups` groups. */
  reserve(groups: number): void {
    if (this.state.length >= groups) return;
    const b = new Uint8Array(Math.max(groups, this.state.length * 2, 1024));
    b.set(this.state);
    this.state = b;
  }

  /** Marks a group (a later mark wins; the first one lists it). */
  mark(g: number, as: number): void {
    if (this.state[g] === 0) this.touched.push(g);
    this.state[g] = as;
  }
}

export class Presearcher {
  private readonly nodes = new Map<string, KeyNode>();
  /** prefix phrases with a one-word stem ("kor*"): probed for every token */
  private rootStems = 0;
  /**
   * One-word stems by their first min(length, 4) UTF-16 units, hashed, in one table per head length (2, 3, 4), and
   * how many stems each table holds. A token whose heads no stem has (most tokens) skips the stem lookups.
   */
  private stemHeads: Int32Array | undefined; // 768 KB, made with the first one-word stem
  private readonly stemHeadCount = [0, 0, 0];
  private readonly stemLengthCount = new Map<number, number>();
  private stemLengths: number[] = [];
  /** keys using each field (FIELD_ORDER): a field no key uses is not probed */
  private readonly fieldUse = [0, 0, 0, 0, 0];
  /** token → the nodes of one-word prefix keys ("kor*") it matches; cleared whenever prefix keys come or go */
  private readonly stemCache = new Map<string, KeyNode[] | null>();
  /** the number of the item being probed: nodes stamped with it were seen in it */
  private itemNo = 0;
  /** where the probe in progress marks its hits: the Candidates' arrays, held here for the hot loop */
  private marks = new Uint8Array(0);
  private marked: number[] = [];

  /** How many postings a key has: the presearcher posts an alternative under its least posted phrase. */
  postingCount(key: string): number {
    const p = this.nodes.get(key)?.postings;
    return p === undefined ? 0 : typeof p === 'number' ? 1 : p.length;
  }

  /** The presearcher's own copy of a key it holds (else the key given): terms reported by the index share it. */
  keyOf(key: string): string {
    return this.nodes.get(key)?.key ?? key;
  }

  /** Posts a group's code under a key. */
  post(key: string, code: number): KeyNode {
    const n = this.node(key);
    const p = n.postings;
    if (p === undefined) n.postings = code;
    else if (typeof p === 'number') n.postings = [p, code];
    else n.postings = append(p, code);
    this.structure(n.key, code % NEEDS_CHECK, +1);
    return n;
  }

  /** Removes a group's posting from a node. */
  unpost(n: KeyNode, group: number): void {
    const p = n.postings;
    if (p === undefined) return;
    let code: number | undefined;
    if (typeof p === 'number') {
      if (Math.floor(p / GROUP_UNIT) !== group) return;
      code = p;
      n.postings = undefined;
    } else {
      const i = p.findIndex((c) => Math.floor(c / GROUP_UNIT) === group);
      if (i < 0) return;
      code = p[i]!;
      p.splice(i, 1);
      if (p.length === 1) n.postings = p[0]!;
    }
    this.structure(n.key, code % NEEDS_CHECK, -1);
    this.release(n);
  }

  /** A key a candidate check tests, in fields `scope`: probed (and stamped) from now on. */
  watch(key: string, scope: number): KeyNode {
    const n = this.node(key);
    n.checks++;
    this.structure(n.key, scope, +1);
    return n;
  }

  unwatch(n: KeyNode, scope: number): void {
    n.checks--;
    this.structure(n.key, scope, -1);
    this.release(n);
  }

  /**
   * Probes every window of the item's fields: marks HIT or CANDIDATE in `out` for each posting found in a field of
   * its scope, and stamps each node reached. Returns the item's number (what the stamps are compared with).
   */
  probe(prepared: PreparedItem, out: Candidates): number {
    const itemNo = ++this.itemNo;
    this.marks = out.state;
    this.marked = out.touched;
    const nodes = this.nodes;
    const rootStems = this.rootStems > 0;
    for (let f = 0; f < FIELD_ORDER.length; f++) {
      if (this.fieldUse[f] === 0) continue;
      const bit = FIELD_ORDER[f]!;
      const segs = prepared.field(bit);
      for (let s = 0; s < segs.length; s++) {
        const toks = segs[s]!.tokens;
        const len = toks.length;
        for (let i = 0; i < len; i++) {
          let key = toks[i]!;
          if (rootStems) this.probeRootStems(key, bit, itemNo);
          for (let j = i; ; ) {
            const n = nodes.get(key);
            if (n === undefined) break;
            // reached(n), inline: this loop is the hot path
            if (n.seenInItem !== itemNo) {
              n.seenInItem = itemNo;
              n.seenFields = bit;
            } else n.seenFields |= bit;
            const p = n.postings;
            if (p !== undefined) {
              if (typeof p === 'number') this.hit(p, bit);
              else for (let k = 0; k < p.length; k++) this.hit(p[k]!, bit);
            }
            if (n.stemContexts > 0 && j + 1 < len) this.probeStems(toks[j + 1]!, key + ' ', bit, itemNo);
            if (n.longerKeys === 0 || ++j >= len) break;
            key = key + ' ' + toks[j]!; // a lookup key only: concatenation is cheaper than a flat copy
          }
        }
      }
    }
    return itemNo;
  }

  /** A node reached in field `bit`: stamp it, mark its postings. */
  private reached(n: KeyNode, bit: number, itemNo: number): void {
    if (n.seenInItem !== itemNo) {
      n.seenInItem = itemNo;
      n.seenFields = bit;
    } else n.seenFields |= bit;
    const p = n.postings;
    if (p === undefined) return;
    if (typeof p === 'number') this.hit(p, bit);
    else for (let k = 0; k < p.length; k++) this.hit(p[k]!, bit);
  }

  /** A posting of a key found in field `bit`. */
  private hit(code: number, bit: number): void {
    const low = code % GROUP_UNIT;
    if ((low & bit) === 0) return; // not in a field of the term's scope
    const g = (code - low) / GROUP_UNIT;
    const marks = this.marks;
    if (marks[g] === 0) {
      this.marked.push(g);
      marks[g] = low & NEEDS_CHECK ? CANDIDATE : HIT;
    }
  }

  /** One-word prefix keys ("kor*") the token starts with. */
  private probeRootStems(tok: string, bit: number, itemNo: number): void {
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
      const lengths = this.stemLengths;
      for (let s = 0; s < lengths.length; s++) {
        const L = lengths[s]!;
        if (L > tok.length) break;
        const n = this.nodes.get(flat(tok.slice(0, L), '*'));
        if (n !== undefined) (found ??= []).push(n);
      }
      if (this.stemCache.size >= 100_000) this.stemCache.clear();
      this.stemCache.set(tok, found);
    }
    if (found === null) return;
    for (let i = 0; i < found.length; i++) this.reached(found[i]!, bit, itemNo);
  }

  /** Prefix keys with a context ("north kor*") the token completes after `context` ("north "). */
  private probeStems(tok: string, context: string, bit: number, itemNo: number): void {
    const lengths = this.stemLengths;
    const n = tok.length;
    for (let s = 0; s < lengths.length; s++) {
      const L = lengths[s]!;
      if (L > n) break;
      const node = this.nodes.get(context + tok.slice(0, L) + '*');
      if (node !== undefined) this.reached(node, bit, itemNo);
    }
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
    if (n.postings === undefined && n.longerKeys === 0 && n.stemContexts === 0 && n.checks === 0 && this.nodes.get(n.key) === n) {
      this.nodes.delete(n.key);
      if (n.key.endsWith('*')) this.stemCache.clear();
    }
  }

  /** Maintains the prefix and context counters, stem lengths and heads, and field use for one key. */
  private structure(key: string, scope: number, delta: 1 | -1): void {
    const star = key.endsWith('*');
    const words = (star ? key.slice(0, -1) : key).split(' ');
    const upto = star ? words.length - 2 : words.length - 1;
    for (let k = 0; k < upto; k++) {
      const n = this.node(words.slice(0, k + 1).join(' '));
      n.longerKeys += delta;
      if (delta < 0) this.release(n);
    }
    if (star) {
      const stem = words[words.length - 1]!;
      const context = words.slice(0, -1).join(' ');
      if (context === '') {
        this.rootStems += delta;
        const k = Math.min(stem.length, 4);
        this.stemHeads ??= new Int32Array(3 * 65536);
        this.stemHeads[headOf(stem, k)]! += delta;
        this.stemHeadCount[k - 2]! += delta;
      } else {
        const n = this.node(context);
        n.stemContexts += delta;
        if (delta < 0) this.release(n);
      }
      const c = (this.stemLengthCount.get(stem.length) ?? 0) + delta;
      if (c <= 0) this.stemLengthCount.delete(stem.length);
      else this.stemLengthCount.set(stem.length, c);
      this.stemLengths = [...this.stemLengthCount.keys()].sort((a, b) => a - b);
    }
    for (let f = 0; f < FIELD_ORDER.length; f++) if (scope & ALL_FIELDS & FIELD_ORDER[f]!) this.fieldUse[f]! += delta;
  }
}

/** Appends to a small array exactly (a push would reserve room for 16 more). */
export function append<T>(a: T[], x: T): T[] {
  if (a.length >= 8) {
    a.push(x);
    return a;
  }
  const b = a.slice();
  b[a.length] = x;
  return b;
}

/** The slot of a string's first k (2–4) UTF-16 units in the stem-head tables. */
function headOf(s: string, k: number): number {
  let h = 0;
  for (let i = 0; i < k; i++) h = Math.imul(h, 31) + s.charCodeAt(i);
  return (k - 2) * 65536 + ((h ^ (h >>> 16)) & 0xffff);
}
