import { describe, expect, it } from 'vitest';
import { formatRating, NO_RATINGS_TEXT, summarizeVotes, voteFromEmoji } from '../../src/ratings/rating.js';

describe('ratings', () => {
  it.each([
    ['1️⃣', 1], ['5️⃣', 5], ['3\u20E3', 3], ['6️⃣', null], ['👍', null], [null, null],
  ])('voteFromEmoji(%j) = %j', (emoji, vote) => expect(voteFromEmoji(emoji)).toBe(vote));

  it.each([
    [{}, NO_RATINGS_TEXT],
    [{ a: 4, b: 5 }, '★★★★½ 4.5 · 2 votes'],
    [{ a: 2, b: 5 }, '★★★½ 3.5 · 2 votes'],
    [{ a: 5 }, '★★★★★ 5.0 · 1 vote'],
    [{ a: 1, b: 2, c: 2 }, '★½ 1.7 · 3 votes'],
  ])('formatRating(%j) = %s', (votes, text) => expect(formatRating(summarizeVotes(votes))).toBe(text));
});
