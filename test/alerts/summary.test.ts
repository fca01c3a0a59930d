import { describe, expect, it } from 'vitest';
import { summarize, SUMMARY_MAX_CHARS } from '../../src/alerts/summary.js';

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
});
