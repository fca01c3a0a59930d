import { describe, expect, it } from 'vitest';
import { asWritten, highlightRanges } from '../../src/match/highlight.js';
import { matchedTerm, type MatchedTerm } from '../../src/match/matched-term.js';
import { tokenise, tokeniseWithOffsets } from '../../src/match/normalise.js';
import { parseQuery } from '../../src/match/query.js';

/** The term a one-term query matches on (an operator, scope or quotes shape the query, not the term). */
function term(text: string): MatchedTerm {
  const parsed = parseQuery(text);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return matchedTerm(parsed.query.alternatives[0]!.terms[0]!);
}
const show = (text: string, terms: string[]) => highlightRanges(text, terms.map(term)).map((r) => text.slice(r.start, r.end));

describe('highlightRanges', () => {
  const cases: Array<[string, string[], string[]]> = [
    ["North Korea's leader visits", ['north korea'], ['North Korea']],
    ['NORTH KORÉA fires', ['north korea'], ['NORTH KORÉA']],
    ['Koreans vote; Korea waits', ['korea'], ['Korea']],
    ['Koreans vote; Korea waits', ['korea*'], ['Koreans', 'Korea']],
    ['São Paulo floods', ['sao paulo'], ['São Paulo']],
    ['北朝鲜发射弹道导弹', ['导弹', '北朝鲜'], ['北朝鲜', '导弹']],
    ['Breaking: Korea fires', ['/^breaking/i'], ['Breaking']],
    ['North Korea fires missile', ['north korea', 'korea', 'title:missile'], ['North Korea', 'missile']],
    ['North Korea fires', ['"north korea"', '+fires'], ['North Korea', 'fires']],
    ['Korea-Japan talks', ['korea', 'japan'], ['Korea', 'Japan']],
    ['nothing here', ['korea'], []],
  ];
  for (const [text, terms, expected] of cases)
    it(`${JSON.stringify(text)} with ${terms.join(', ')}`, () => {
      expect(show(text, terms)).toEqual(expected);
    });

  it('returns sorted, merged UTF-16 ranges', () => {
    expect(highlightRanges('😀 North Korea', [term('north korea'), term('korea')])).toEqual([{ start: 3, end: 14 }]);
  });
});

describe('asWritten', () => {
  it('spells a term as the story does, as an exact phrase; a term the texts do not show stays as it is', () => {
    expect(asWritten(term('north korea'), 'nothing', "NORTH KORÉA's test")).toMatchObject({ text: 'NORTH KORÉA', words: ['north', 'korea'], prefix: false });
    expect(asWritten(term('korea*'), 'Koreans vote; Korea waits').text).toBe('Koreans');
    expect(asWritten(term('/missile\\s+test/i'), 'A Missile  Test').text).toBe('Missile  Test');
    const missing = term('japan');
    expect(asWritten(missing, 'Korea')).toBe(missing);
  });
});

describe('normaliser', () => {
  it('folds case, diacritics and special letters, drops possessives', () => {
    expect(tokenise("Straße ÆON Øresund Łódź İstanbul Korea's Korea’s")).toEqual(['strasse', 'aeon', 'oresund', 'lodz', 'istanbul', 'korea', 'korea']);
  });
  it('keeps kana voicing and Indic vowel signs', () => {
    expect(tokenise('ガス')).toEqual(['ガ', 'ス']);
    expect(tokenise('हिन्दी')).toEqual(['हिन्दी']);
  });
  it('ASCII fast path agrees with the general path', () => {
    const a = "Korea's leader, U.S. talks - don't stop 2024";
    expect(tokenise(a)).toEqual(tokenise(`${a} é`).slice(0, -1));
    expect(tokeniseWithOffsets('Korea’s “leader”').tokens).toEqual(['korea', 'leader']);
  });
});
