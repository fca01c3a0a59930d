import { describe, expect, it } from 'vitest';
import { evaluateQuery } from '../../src/match/evaluate.js';
import { SubscriptionIndex } from '../../src/match/index.js';
import type { MatchableItem } from '../../src/match/item.js';
import { formatQuery, parseQuery, type Query } from '../../src/match/query.js';
import { prng } from '../../bench/prng.js';


const VOCAB = ['north', 'south', 'korea', 'koreans', 'Korea’s', 'missile', 'test', 'São', 'Paulo', 'sao', 'drone', 'strike', 'football', 'club', 'kor', 'ko', '北', '朝', '鲜', 'ÉLAN', 'elan', 'news'];
const QWORDS = ['north', 'south', 'korea', 'koreans', 'missile', 'test', 'sao', 'paulo', 'drone', 'strike', 'football', 'club', 'kor', '北朝', '朝鲜', 'elan', 'news'];
const SCOPES = ['', '', '', 'title:', 'summary:', 'source:', 'author:', 'category:'];

function randomQuery(r: () => number): string {
  const pick = <T>(a: T[]): T => a[Math.floor(r() * a.length)]!;
  const alts: string[] = [];
  const nAlts = 1 + Math.floor(r() * 3);
  for (let a = 0; a < nAlts; a++) {
    const terms: string[] = [];
    const nTerms = 1 + Math.floor(r() * 3);
    for (let t = 0; t < nTerms; t++) {
      const nWords = 1 + Math.floor(r() * 2);
      const words = Array.from({ length: nWords }, () => pick(QWORDS));
      let phrase = words.join(' ');
      if (r() < 0.2 && /^[a-z]/.test(words[nWords - 1]!)) phrase += '*';
      const quoted = r() < 0.3 || nWords > 1 ? `"${phrase}"` : phrase;
      const scope = pick(SCOPES);
      const regex = r() < 0.05;
      const body = regex ? `/${pick(['korea', 'missile\\b', '^north'])}/${r() < 0.5 ? 'i' : ''}` : quoted;
      const op = t === 0 ? '' : r() < 0.3 ? (r() < 0.5 ? '-' : 'NOT ') : r() < 0.5 ? '+' : 'AND ';
      terms.push(`${op}${scope}${body}`);
    }
    alts.push(terms.join(' '));
  }
  return alts.join(r() < 0.5 ? ', ' : ' OR ');
}

function randomText(r: () => number, n: number): string {
  const words: string[] = [];
  for (let i = 0; i < n; i++) {
    const w = VOCAB[Math.floor(r() * VOCAB.length)]!;
    words.push(r() < 0.3 ? w.toUpperCase() : w);
    if (r() < 0.1) words.push(r() < 0.5 ? '-' : ',');
  }
  return words.join(r() < 0.2 ? '' : ' ');
}

function randomItem(r: () => number): MatchableItem {
  return {
    title: randomText(r, 3 + Math.floor(r() * 6)),
    summary: randomText(r, Math.floor(r() * 20)),
    categories: Array.from({ length: Math.floor(r() * 3) }, () => randomText(r, 1 + Math.floor(r() * 2))),
    source: randomText(r, 1 + Math.floor(r() * 2)),
    author: randomText(r, Math.floor(r() * 3)),
  };
}

function expected(subs: Map<string, Query>, item: MatchableItem): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [id, q] of subs) {
    const o = evaluateQuery(q, item);
    if (o.matched) out.set(id, o.terms);
  }
  return out;
}

const sorted = (m: Map<string, string[]>) => [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));

/**
 * matchAlternatives answers with matched alternatives: each at most once, each member a subscription that matched,
 * every matched subscription under at least one, and the terms of each a subset of what the member matched on.
 */
function checkQueries(index: SubscriptionIndex, item: MatchableItem, want: Map<string, string[]>): void {
  const got = index.matchAlternatives(item);
  expect(new Set(got).size).toBe(got.length);
  const seen = new Set<string>();
  for (const q of got) {
    expect(Object.isFrozen(q.terms)).toBe(true);
    expect(new Set(q.members).size).toBe(q.members.length);
    for (const id of q.members) {
      seen.add(id);
      const terms = want.get(id);
      expect(terms, `${id} is not a match`).toBeDefined();
      for (const t of q.terms) expect(terms).toContain(t.text);
    }
  }
  expect([...seen].sort()).toEqual([...want.keys()].sort());
}

describe('SubscriptionIndex agrees with direct evaluation', () => {
  for (const seed of [1, 2, 3]) {
    it(`random queries and items, with removals and replacements (seed ${seed})`, () => {
      const r = prng(seed);
      const index = new SubscriptionIndex();
      const subs = new Map<string, Query>();
      let made = 0;
      while (made < 300) {
        const res = parseQuery(randomQuery(r));
        if (!res.ok) continue;
        // canonical round trip on the way
        expect(formatQuery(res.query)).toBe(res.canonical);
        const again = parseQuery(res.canonical);
        expect(again.ok && again.query).toEqual(res.query);
        const id = `s${made++}`;
        subs.set(id, res.query);
        index.add(id, res.query);
      }
      const items = Array.from({ length: 150 }, () => randomItem(r));
      let matchedSomething = 0;
      const check = () => {
        expect(index.size).toBe(subs.size);
        for (const item of items) {
          const got = index.match(item);
          if (got.size) matchedSomething++;
          const want = expected(subs, item);
          expect(sorted(got)).toEqual(sorted(want));
          checkQueries(index, item, want);
        }
      };
      check();
      // random removals, and replacing some ids with other queries
      for (const id of [...subs.keys()]) {
        if (r() < 0.4) {
          expect(index.remove(id)).toBe(true);
          subs.delete(id);
        } else if (r() < 0.1) {
          const res = parseQuery(randomQuery(r));
          if (res.ok) {
            index.add(id, res.query);
            subs.set(id, res.query);
          }
        }
      }
      expect(index.remove('nope')).toBe(false);
      check();
      for (const id of [...subs.keys()]) index.remove(id);
      subs.clear();
      check();
      expect(matchedSomething).toBeGreaterThan(100);
    });
  }
});

describe('SubscriptionIndex groups subscriptions with the same query', () => {
  for (const seed of [4, 5]) {
    it(`many subscriptions share few queries; groups grow, shrink, empty and refill (seed ${seed})`, () => {
      const r = prng(seed);
      // a small pool of queries (some spelled differently but parsing to the same AST), so groups get large
      const pool: Query[] = [];
      while (pool.length < 12) {
        const res = parseQuery(randomQuery(r));
        if (res.ok) pool.push(res.query);
      }
      for (const text of ['north korea', '"North  Korea"', 'NORTH KOREA', 'title:korea', 'korea, north', 'north, korea', 'korea, korea', 'korea, "north korea" +missile', '/missile\\b/i']) {
        const res = parseQuery(text);
        if (res.ok) pool.push(res.query);
      }
      const index = new SubscriptionIndex();
      const subs = new Map<string, Query>();
      const items = Array.from({ length: 40 }, () => randomItem(r));
      const check = () => {
        expect(index.size).toBe(subs.size);
        for (const item of items) {
          const want = expected(subs, item);
          expect(sorted(index.match(item))).toEqual(sorted(want));
          checkQueries(index, item, want);
        }
      };
      // each subscription gets its own (structurally equal) copy of a query, as records loaded from a store do
      const copy = (q: Query): Query => JSON.parse(JSON.stringify(q)) as Query;
      const skewed = () => pool[Math.floor(pool.length * Math.pow(r(), 2))]!;
      let next = 0;
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 250; i++) {
          const id = `g${next++}`;
          const q = copy(skewed());
          subs.set(id, q);
          index.add(id, q);
        }
        check();
        for (const id of [...subs.keys()]) {
          const x = r();
          if (x < 0.35) {
            expect(index.remove(id)).toBe(true);
            expect(index.remove(id)).toBe(false);
            subs.delete(id);
          } else if (x < 0.45) {
            // replacing moves the id to another group (or the same one)
            const q = copy(skewed());
            index.add(id, q);
            subs.set(id, q);
          }
        }
        check();
      }
      // empty every group, then refill some: no stale postings or members survive
      for (const id of [...subs.keys()]) index.remove(id);
      subs.clear();
      check();
      for (let i = 0; i < 40; i++) {
        const id = `g${i}`;
        const q = copy(pool[i % pool.length]!);
        subs.set(id, q);
        index.add(id, q);
      }
      check();
    });
  }

  it('matched subscribers of one query share one frozen terms array', () => {
    const index = new SubscriptionIndex();
    const q = parseQuery('North Korea');
    if (!q.ok) throw new Error('parse');
    for (let i = 0; i < 50; i++) index.add(`s${i}`, JSON.parse(JSON.stringify(q.query)) as Query);
    const got = index.match({ title: 'North Korea fires missiles', summary: '', categories: [], source: '', author: '' });
    expect(got.size).toBe(50);
    const arrays = new Set(got.values());
    expect(arrays.size).toBe(1);
    const [terms] = arrays;
    expect(terms).toEqual(['north korea']);
    expect(Object.isFrozen(terms)).toBe(true);
  });

  it('an alternative shared by many OR lists is matched once, with every subscription that has it', () => {
    const index = new SubscriptionIndex();
    const add = (id: string, text: string) => {
      const q = parseQuery(text);
      if (!q.ok) throw new Error(text);
      index.add(id, q.query);
    };
    add('a', 'Ukraine');
    add('b', 'Ukraine, Kyiv');
    add('c', 'Kyiv, Ukraine, Odesa');
    add('d', 'Odesa');
    add('e', 'Ukraine +drone');
    const item = { title: 'Drone strikes hit Kyiv as Ukraine braces', summary: '', categories: [], source: '', author: '' };
    const got = index.matchAlternatives(item);
    const byTerms = new Map(got.map((q) => [q.terms.map((t) => t.text).join('|'), [...q.members].sort()]));
    expect(byTerms).toEqual(
      new Map([
        ['ukraine', ['a', 'b', 'c']],
        ['kyiv', ['b', 'c']],
        ['drone|ukraine', ['e']], // canonical order
      ]),
    );
    // expanded: terms in the order of each query's alternatives (canonical: sorted)
    expect(sorted(index.match(item))).toEqual([
      ['a', ['ukraine']],
      ['b', ['kyiv', 'ukraine']],
      ['c', ['kyiv', 'ukraine']],
      ['e', ['drone', 'ukraine']],
    ]);
    index.remove('b');
    index.remove('c');
    expect(index.matchAlternatives(item).map((q) => q.terms.map((t) => t.text).join('|')).sort()).toEqual(['drone|ukraine', 'ukraine']);
  });
});
