import { describe, expect, it } from 'vitest';
import { joinBlocks, summarize, SUMMARY_MAX_CHARS } from '../../src/alerts/summary.js';

describe('summarize', () => {
  const sentence = (n: number) => `Sentence number ${n} says something useful about the story.`;

  it('keeps short text as it is', () => {
    expect(summarize('The North Korean leader met the families.')).toBe('The North Korean leader met the families.');
  });

  it('cuts to whole sentences within the limit', () => {
    const text = Array.from({ length: 20 }, (_, i) => sentence(i + 1)).join(' ');
    const out = summarize(text);
    expect(out.length).toBeLessThanOrEqual(SUMMARY_MAX_CHARS);
    expect(out.endsWith('story.')).toBe(true);
    expect(text.startsWith(out)).toBe(true);
    expect(out.length).toBeGreaterThan(SUMMARY_MAX_CHARS - sentence(10).length - 1);
  });

  it('cuts one overlong sentence at a word boundary with an ellipsis', () => {
    const text = `${'word '.repeat(200).trim()} end.`;
    const out = summarize(text, { max: 100 });
    expect(out.length).toBeLessThanOrEqual(100);
    expect(out.endsWith('word…')).toBe(true);
  });

  it('drops feed chrome and a repeated headline', () => {
    expect(summarize('Big news today. The post Big news appeared first on Example Blog.')).toBe('Big news today.');
    expect(summarize('Storm hits coast. Heavy rain expected.', { title: 'Storm hits coast' })).toBe('Heavy rain expected.');
    expect(summarize('Markets rally as rates fall. Continue reading…')).toBe('Markets rally as rates fall.');
  });

  it('drops the headline only when the text repeats it as a unit of its own', () => {
    expect(summarize('Storm hits coast\nHeavy rain expected.', { title: 'Storm hits coast' })).toBe('Heavy rain expected.');
    expect(summarize('Storm hits coast – Heavy rain expected.', { title: 'Storm hits coast' })).toBe('Heavy rain expected.');
    expect(summarize('“Storm” hits  coast: Heavy rain expected.', { title: '"Storm" hits coast' })).toBe('Heavy rain expected.');
    expect(summarize('Storm hits coast: heavy rain expected.', { title: 'Storm hits coast' })).toBe('Storm hits coast: heavy rain expected.');
    // the first sentence merely starts with the headline's words: cutting them would start mid-sentence
    expect(summarize('Hoth is the sixth planet of the system.', { title: 'Hoth' })).toBe('Hoth is the sixth planet of the system.');
    expect(summarize('APML is an XML file format.', { title: 'APML' })).toBe('APML is an XML file format.');
    // a text that is only the headline stays (better than nothing)
    expect(summarize('Storm hits coast', { title: 'Storm hits coast' })).toBe('Storm hits coast');
  });

  it('keeps the text of a block break that dropped its boilerplate from joining its neighbours', () => {
    expect(summarize('Location: Albany, NY\nURL: https://r.example\nreadMedia is hiring.')).toBe('Location: Albany, NY. readMedia is hiring.');
  });
});

describe('joinBlocks', () => {
  it.each([
    // a block without a stop gets one: no "early 1900s Get our" run-on
    ['Four objects date from the early 1900s\nThe museum will show them', 'Four objects date from the early 1900s. The museum will show them'],
    ['Key points\nRates rose.', 'Key points. Rates rose.'],
    // a block with its own stop, or one left open, or a continuation in lower case: a space
    ['He said "no."\nThen left.', 'He said "no." Then left.'],
    ['Dear John,\nthanks for writing', 'Dear John, thanks for writing'],
    ['A sentence broken\nacross two lines.', 'A sentence broken across two lines.'],
    // Chinese and Japanese take their own full stop
    ['關於郭建的生日贈圖可見這篇\n今天終於有機會', '關於郭建的生日贈圖可見這篇。今天終於有機會'],
    ['蛋糕的口味是黑森林，\n雖然我', '蛋糕的口味是黑森林， 雖然我'],
  ])('%j → %j', (text, joined) => {
    expect(joinBlocks(text)).toBe(joined);
  });

  it('the sentence segmenter then cuts at a block end, not inside the next block', () => {
    const text = `${'Word '.repeat(60).trim()}\n${'Next '.repeat(80).trim()}`;
    expect(summarize(text, { max: 400 })).toBe(`${'Word '.repeat(60).trim()}.`);
  });
});

describe('summarize on hostile input', () => {
  it('a 2,000-character headline repeated by a text of one long word stays quick and whole', () => {
    const title = 'a '.repeat(1000).trim();
    const text = `${title}. ${'b'.repeat(50_000)}`;
    // a regex that could backtrack into words would not finish within the test's timeout
    expect(summarize(text, { title }).startsWith('bbbb')).toBe(true);
  });
});
