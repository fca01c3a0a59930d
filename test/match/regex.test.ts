// Finding 1 of issue 8: regex matching used a vm watchdog that could throw under CPU load and answered "no match"
// when the machine was slow. Now RE2 (linear time, no clock): the same input always gives the same, correct answer.
import { describe, expect, it } from 'vitest';
import { evaluateQuery } from '../../src/match/evaluate.js';
import { highlightRanges } from '../../src/match/highlight.js';
import { matchedTerm } from '../../src/match/matched-term.js';
import { SubscriptionIndex } from '../../src/match/index.js';
import type { MatchableItem } from '../../src/match/item.js';
import { parseQuery, type Query } from '../../src/match/query.js';
import { REGEX_LIMITS, regexRanges } from '../../src/match/regex.js';

function q(text: string): Query {
  const r = parseQuery(text);
  if (!r.ok) throw new Error(`${text}: ${r.error.message}`);
  return r.query;
}
const item = (title: string, summary = '', extra: Partial<MatchableItem> = {}): MatchableItem => ({ title, summary, categories: [], source: '', author: '', ...extra });

/** Both paths: direct evaluation and the index. */
function both(query: Query, it_: MatchableItem): boolean {
  const direct = evaluateQuery(query, it_).matched;
  const index = new SubscriptionIndex();
  index.add('s', query);
  expect(index.match(it_).has('s')).toBe(direct);
  return direct;
}

describe('patterns a backtracking engine refused or timed out on', () => {
  // [query, 2,000-character adversarial input, expected]; a backtracking engine takes exponential (or 2000^20) time on each
  const cases: Array<[string, string, boolean]> = [
    ['/(a+)+$/', `${'a'.repeat(1999)}!`, false],
    ['/(a+)+$/', 'a'.repeat(2000), true],
    ['/(.*a){20}/', `${'a'.repeat(19)}${'b'.repeat(1981)}`, false],
    ['/(.*a){20}/', 'ab'.repeat(1000), true],
    ['/(.*a){29}/', `${'a'.repeat(28)}${'x'.repeat(1972)}`, false],
    ['/(x+x+)+y/', 'x'.repeat(2000), false],
    ['/(x+x+)+y/', `${'x'.repeat(1999)}y`, true],
    ['/^(\\w+\\s?)*$/', `${'word '.repeat(399)}word!`, false],
    ['/^(\\w+\\s?)*$/', 'word '.repeat(400), true],
    ['/(?:\\S+\\s)*?\\S+X1/', 'word '.repeat(400), false],
    ['/(?:\\S+\\s)*?\\S+X1/', `${'word '.repeat(399)}woX1!`, true],
    ['/(a|a)*$/', `${'a'.repeat(1999)}b`, true], // empty match at the end: $ always matches
    ['/^(a|a)*$/', `${'a'.repeat(1999)}b`, false],
  ];
  for (const [text, input, want] of cases)
    it(`${text} on ${JSON.stringify(input.slice(0, 12))}… (${input.length} chars) → ${want}`, () => {
      expect(input.length).toBe(2000);
      expect(both(q(text), item(input, '-'))).toBe(want);
      expect(both(q(text), item('-', input))).toBe(want);
    });
});

describe('the same item gives the same answer every time', () => {
  it('thousands of evaluations of several regex subscriptions, through the index and directly', () => {
    const texts = ['/korea(ns)?\\b/i', '/\\bmissile test/i', '/^breaking/i', '/\\d+ (billion|million)/', '/(oil|gas) prices?/i', '/(a+)+$/', 'koreans +/(.*e){5}/'];
    const index = new SubscriptionIndex();
    const queries = texts.map((t, i) => {
      const query = q(t);
      index.add(`s${i}`, query);
      return query;
    });
    const items = [
      item('BREAKING: North Korean missile test', 'Oil prices rise by 3 billion as Koreans watch; seen here every evening'),
      item('Gas price cap', `${'a'.repeat(1500)}`),
      item('Markets calm', 'Nothing here', { categories: ['Korea'] }),
    ];
    const want = items.map((it_) => queries.map((query) => evaluateQuery(query, it_).matched));
    expect(want).toEqual([
      [true, true, true, true, true, false, true],
      [false, false, false, false, true, true, false],
      [true, false, false, false, false, true, false], // (a+)+$ at the end of the category "Korea"
    ]);
    for (let round = 0; round < 3000; round++) {
      const k = round % items.length;
      const got = index.match(items[k]!);
      expect(queries.map((_, i) => got.has(`s${i}`))).toEqual(want[k]);
      if (round % 10 === 0) expect(queries.map((query) => evaluateQuery(query, items[k]!).matched)).toEqual(want[k]);
    }
  });
});

describe('input bounds', () => {
  it('a regex sees the first 2,000 characters of a field, and of all categories together', () => {
    const far = `${'x '.repeat(REGEX_LIMITS.inputLength / 2)}needle`;
    expect(both(q('/needle/'), item('t', far))).toBe(false);
    expect(both(q('/needle/'), item(`t`, far.slice(-1500)))).toBe(true);
    const cats = Array.from({ length: 300 }, (_, i) => `category number ${i}`);
    expect(both(q('category:/number 5\\b/'), item('t', '', { categories: cats }))).toBe(true);
    expect(both(q('category:/number 299/'), item('t', '', { categories: cats }))).toBe(false);
  });
});

describe('highlighting uses the same runner', () => {
  it('finds every non-empty match in UTF-16 offsets, and stops on empty ones', () => {
    expect(regexRanges('b+', '', '😀 abbb é bb')).toEqual([
      { start: 4, end: 7 },
      { start: 10, end: 12 },
    ]);
    expect(regexRanges('x*', '', 'axxbx')).toEqual([
      { start: 1, end: 3 },
      { start: 4, end: 5 },
    ]);
    expect(regexRanges('(?=x)', '', 'x')).toEqual([]); // a pattern RE2 can't run highlights nothing
    expect(highlightRanges('Breaking: Koreans celebrate', [q('/^breaking/i'), q('/korea(ns)?/i')].map((x) => matchedTerm(x.alternatives[0]!.terms[0]!)))).toEqual([
      { start: 0, end: 8 },
      { start: 10, end: 17 },
    ]);
    expect(regexRanges('a', '', 'a'.repeat(2000))).toHaveLength(REGEX_LIMITS.maxRanges);
  });
});

describe('JavaScript meanings RE2 lacks', () => {
  it('\\s and \\S cover Unicode spaces, as in JavaScript', () => {
    expect(both(q('/missile\\stest/'), item('Missile\u00a0test ends'))).toBe(false); // case-sensitive
    expect(both(q('/missile\\stest/i'), item('Missile\u00a0test ends'))).toBe(true);
    expect(both(q('/10[\\s,]%/'), item('Rates up 10\u2009%'))).toBe(true);
    expect(both(q('/^\\S+$/'), item('one\u3000two'))).toBe(false);
    expect(both(q('/\\\\s/'), item('a\\s b'))).toBe(true); // an escaped backslash, then s
    expect(both(q('/caf\\u00e9/'), item('Café du monde'))).toBe(false);
    expect(both(q('/caf\\u00e9/i'), item('CAFÉ du monde'))).toBe(true);
  });
});
