import { describe, expect, it } from 'vitest';
import { closestScope, editDistance, formatQuery, parseQuery, QUERY_LIMITS, queryErrorText, QuerySyntaxError } from '../../src/match/query.js';

function canonical(text: string): string {
  const r = parseQuery(text);
  if (!r.ok) throw new Error(`expected ${text} to parse: ${r.error.message}`);
  expect(formatQuery(r.query)).toBe(r.canonical);
  const again = parseQuery(r.canonical);
  expect(again.ok && again.query).toEqual(r.query);
  expect(JSON.parse(JSON.stringify(r.query))).toEqual(r.query);
  return r.canonical;
}

function error(text: string): QuerySyntaxError {
  const r = parseQuery(text);
  if (r.ok) throw new Error(`expected ${text} to fail, got ${r.canonical}`);
  expect(r.error).toBeInstanceOf(QuerySyntaxError);
  expect(r.error.hint.length).toBeGreaterThan(0);
  return r.error;
}

describe('parseQuery: canonical form (two spellings of one query are one subscription)', () => {
  const cases: Array<[string[], string]> = [
    [['North Korea', 'north korea', '"North Korea"', 'NORTH  KOREA', '“North Korea”'], 'north korea'],
    [['São Paulo', 'Sao Paulo', 'SAO PAULO'], 'sao paulo'],
    [["Korea's", 'Korea’s', 'korea'], 'korea'],
    [['Korea*', '"korea"*', '"Korea*"'], 'korea*'],
    [['"north kor*"', '"north kor"*', 'north kor*'], 'north kor*'],
    [['korea, japan', 'japan OR korea', 'Japan, Korea, japan'], 'japan, korea'],
    [['korea +missile', 'korea AND missile', 'missile +korea', '+missile +korea', '"korea" "missile"'], 'korea +missile'],
    [['football -transfer', 'football NOT transfer', 'Football -Transfer'], 'football -transfer'],
    [['title:drone', 'Title:drone', 'TITLE:"Drone"'], 'title:drone'],
    [['korea -title:"football club"', 'korea NOT title:"Football Club"'], 'korea -title:"football club"'],
    [['source:reuters', 'site:Reuters'], 'source:reuters'],
    [['category:politics', 'categories:politics'], 'category:politics'],
    [['summary:"north korea" +author:smith', 'author:smith +summary:"north korea"'], 'author:smith +summary:"north korea"'],
    [['Kim Jong-un', 'kim jong un'], 'kim jong un'],
    [['rock and roll'], 'rock and roll'],
    [['北朝鲜', '"北朝鲜"', '北朝鲜*'], '北朝鲜'],
    [['/korea(ns)?/i'], '/korea(ns)?/i'],
    [['"missile test" +korea -/exercise/i', 'korea AND "missile test" NOT /exercise/i'], 'korea +"missile test" -/exercise/i'],
    [['korea -"south korea"'], 'korea -"south korea"'],
  ];
  for (const [spellings, expected] of cases)
    it(`${spellings.join(' | ')} → ${expected}`, () => {
      for (const s of spellings) expect(canonical(s)).toBe(expected);
    });

  it('stores a JSON-serialisable AST', () => {
    const r = parseQuery('title:"North Korea" +missile* -/drill/i, Japan');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.query).toEqual({
      version: 1,
      alternatives: [
        { terms: [{ kind: 'phrase', words: ['japan'], prefix: false, negated: false, scope: null }] },
        {
          terms: [
            { kind: 'phrase', words: ['missile'], prefix: true, negated: false, scope: null },
            { kind: 'phrase', words: ['north', 'korea'], prefix: false, negated: false, scope: 'title' },
            { kind: 'regex', source: 'drill', flags: 'i', negated: true, scope: null },
          ],
        },
      ],
    });
  });
});

describe('parseQuery: errors with position and hint', () => {
  const cases: Array<[string, RegExp, number]> = [
    ['', /the query is empty/, 0],
    ['   ', /the query is empty/, 0],
    ['korea OR "north korea', /^unclosed quote at 9$/, 9],
    ['nuclear, "south korea', /^unclosed quote at 9$/, 9],
    ['korea -', /`-` needs a word after it \(at 6\)/, 6],
    ['korea - football', /`-` needs a word after it \(at 6\)/, 6],
    ['korea +', /`\+` needs a word after it/, 6],
    ['korea AND', /`AND` needs a word after it/, 6],
    ['korea NOT', /`NOT` needs a word after it/, 6],
    ['-football', /nothing to match at 0/, 0],
    ['korea, -football', /nothing to match at 6/, 6],
    ['korea,,japan', /`,` has nothing before it \(at 5\)/, 5],
    ['korea,', /`,` has nothing after it \(at 5\)/, 5],
    ['OR korea', /`OR` has nothing before it/, 0],
    ['korea OR', /`OR` has nothing after it \(at 6\)/, 6],
    ['title:', /`title:` needs a phrase right after it \(at 0\)/, 0],
    ['korea title: drone', /`title:` needs a phrase/, 6],
    ['k*', /too short/, 0],
    ['kor* ea', /`\*` only at the end of a phrase \(at 3\)/, 3],
    ['korea *', /`\*` must follow a word directly/, 6],
    ['"north * korea"', /`\*` only at the end/, 7],
    ['""', /empty quotes at 0/, 0],
    ['!!!', /has no letters or digits/, 0],
    ['korea /abc', /^unclosed regex at 6/, 6],
    ['/a(b/', /invalid regex at 0/, 0],
    ['/korea/g', /regex flag `g` is not supported \(at 7\)/, 7],
    ['korea /missile(?= test)/', /^regex at 6: lookahead `\(\?=…\)` isn't supported \(at 14\): Herald's regular expressions run in linear time$/, 14],
    ['/(?!x)y/', /^regex at 0: negative lookahead `\(\?!…\)` isn't supported \(at 1\)/, 1],
    ['/(?<=north )korea/i', /^regex at 0: lookbehind `\(\?<=…\)` isn't supported/, 1],
    ['/(?<!north )korea/', /negative lookbehind/, 1],
    ['/(a)b\\1/', /^regex at 0: backreference `\\1` isn't supported \(at 5\): Herald's regular expressions run in linear time$/, 5],
    ['/(?<w>a)\\k<w>/', /backreference `\\k<…>` isn't supported/, 8],
    ['/a++/', /^invalid regex at 0: invalid nested repetition operator `\+\+` \(at 2\)/, 2],
    ['/[a-z]{1000}/', /^regex at 0: it is too complex: \d+ steps when compiled, at most 250$/, 0],
    [Array.from({ length: 11 }, (_, i) => `/x${i}/`).join(', '), /^too many regular expressions at 60 \(at most 10 per query\)$/, 60],
    [`/${'a'.repeat(QUERY_LIMITS.maxRegexLength + 1)}/`, /too long \(at most 100 characters\)/, 0],
    ['NOT NOT korea', /`NOT` right after `NOT`/, 4],
    ['"korea"missile', /unexpected `m` after the quote at 7/, 7],
    [Array.from({ length: 21 }, (_, i) => `w${i}`).join(', '), /too many alternatives \(at most 20\)/, 100],
    ['one two three four five six seven eight nine ten eleven twelve thirteen', /too long \(at most 12 words\)/, 0],
  ];
  for (const [text, message, position] of cases)
    it(`${JSON.stringify(text.slice(0, 40))} → ${message}`, () => {
      const e = error(text);
      expect(e.message).toMatch(message);
      if (position !== 100) expect(e.position).toBe(position);
    });

  it('names the length limit for an over-long query', () => {
    const e = error(Array.from({ length: 10 }, (_, i) => `"${'verylongword'.repeat(2)} number${i} and more words here"`).join(', '));
    expect(e.message).toBe(`the query is longer than ${QUERY_LIMITS.maxLength} characters`);
  });

  it('accepts regexes a backtracking engine would choke on: RE2 runs them in linear time', () => {
    expect(canonical('/korea.*missile/i')).toBe('/korea.*missile/i');
    expect(canonical('/(a+)+$/')).toBe('/(a+)+$/');
    expect(canonical('/a.*b.*c.*d/')).toBe('/a.*b.*c.*d/');
    expect(canonical('/(?:\\S+\\s)*?\\S+X1/')).toBe('/(?:\\S+\\s)*?\\S+X1/');
    const many = Array.from({ length: 10 }, (_, i) => `/(.*a){${20 + i}}/`).join(',');
    expect(parseQuery(many).ok).toBe(true);
  });

  it('keeps i, m and s; drops u (RE2 is Unicode-aware already); refuses the rest', () => {
    expect(canonical('/korea/smi')).toBe('/korea/ims');
    expect(canonical('/korea/iu')).toBe('/korea/i');
    expect(canonical('/\\p{L}+ é/u')).toBe('/\\p{L}+ é/');
    expect(error('/korea/y').message).toMatch(/regex flag `y` is not supported \(at 7\)/);
    expect(error('/korea/y').hint).toBe('use only i, m, s');
  });

  it('reads JavaScript spellings RE2 lacks', () => {
    for (const text of ['/caf\\u00e9/', '/(?<year>\\d{4})/', '/a\\/b/']) expect(parseQuery(text).ok, text).toBe(true);
  });
});

describe('parseQuery: a misspelled or unknown field is refused, not read as words', () => {
  const refused: Array<[string, string, number, string | null]> = [
    // [query, field as typed, position, suggested scope]
    ['titel:Trump', 'titel:', 0, 'title'],
    ['Tittle:"north korea"', 'Tittle:', 0, 'title'],
    ['korea +sumary:missile', 'sumary:', 7, 'summary'],
    ['korea -autor:smith', 'autor:', 7, 'author'],
    ['catgory:politics', 'catgory:', 0, 'category'],
    ['categroy:politics', 'categroy:', 0, 'category'],
    ['sources:reuters', 'sources:', 0, 'source'],
    ['sit:bbc', 'sit:', 0, 'source'],
    // mid-phrase: the phrase stops before it, so the field is seen
    ['north korea titel:missile', 'titel:', 12, 'title'],
    // close to a scope even with a space after the colon
    ['titel: trump', 'titel:', 0, 'title'],
    ['japan, autor: smith', 'autor:', 7, 'author'],
    // glued to a term but like no scope: refused with the way to search it literally
    ['foo:bar', 'foo:', 0, null],
    ['korea, https://news.example/x', 'https:', 7, null],
  ];
  for (const [text, field, position, suggestion] of refused)
    it(`${JSON.stringify(text)} → unknown field ${field}${suggestion ? `, did you mean ${suggestion}:` : ''}`, () => {
      const e = error(text);
      expect(e.position).toBe(position);
      if (suggestion) {
        expect(e.message).toBe(`unknown field \`${field}\` at ${position}, did you mean \`${suggestion}:\`?`);
        expect(e.hint).toMatch(new RegExp(`^Write ${suggestion}:`));
      } else {
        expect(e.message).toBe(`unknown field \`${field}\` at ${position}: Herald searches only title:, summary:, source:, author:, category:`);
      }
      // either way the hint says how to search the text as written, and quoting it does parse
      const quoted = /quote them: (".*")$/.exec(e.hint)?.[1];
      expect(quoted).toBeDefined();
      expect(parseQuery(quoted!).ok).toBe(true);
    });

  it('one sentence pair for replies: no doubled punctuation after the question', () => {
    const e = error('titel:Trump');
    expect(queryErrorText(e)).toBe('unknown field `titel:` at 0, did you mean `title:`? Write title:Trump; to search the words as written, quote them: "titel:Trump"');
    expect(queryErrorText(error('korea -'))).toMatch(/^`-` needs a word after it \(at 6\)\. write it with no space/);
  });

  it('keeps words with a colon that are no field: headlines, times, quoted text, scopes in any case', () => {
    expect(canonical('Breaking: Trump')).toBe('breaking trump');
    expect(canonical('Update: north korea')).toBe('update north korea');
    expect(canonical('Note: korea')).toBe('note korea');
    expect(canonical('summit at 10:30')).toBe('summit at 10 30');
    expect(canonical('COVID-19:vaccine')).toBe('covid 19 vaccine');
    expect(canonical('"titel:trump"')).toBe('titel trump');
    expect(canonical('TITLE:trump')).toBe('title:trump');
    expect(canonical('korea Update:')).toBe('korea update');
  });

  it('edit distance counts a swap of neighbours once; short words get one edit, longer ones two', () => {
    expect(editDistance('titel', 'title')).toBe(1);
    expect(editDistance('title', 'title')).toBe(0);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(closestScope('Titel')).toBe('title');
    expect(closestScope('summry')).toBe('summary');
    expect(closestScope('athor')).toBe('author');
    expect(closestScope('note')).toBeNull(); // 2 from "site", too far for four letters
    expect(closestScope('breaking')).toBeNull();
    expect(closestScope('categoriez')).toBe('category');
  });
});
