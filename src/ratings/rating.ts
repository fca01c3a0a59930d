/** Keycap digits 1–5: the reactions that count as votes. */
export const RATING_EMOJIS = ['1️⃣', '2️⃣', '3️⃣', '4️⃣', '5️⃣'] as const;

export const NO_RATINGS_TEXT = 'No ratings yet — react 1️⃣–5️⃣';

/** The vote a reaction stands for, or null when it is not a rating emoji. Tolerates a missing U+FE0F. */
export function voteFromEmoji(name: string | null | undefined): number | null {
  if (!name) return null;
  const match = /^([1-5])\uFE0F?\u20E3$/u.exec(name);
  return match ? Number(match[1]) : null;
}

export interface RatingSummary {
  count: number;
  /** Mean vote, or null with no votes. */
  average: number | null;
}

export function summarizeVotes(votes: Record<string, number>): RatingSummary {
  const values = Object.values(votes).filter((v) => Number.isInteger(v) && v >= 1 && v <= 5);
  if (values.length === 0) return { count: 0, average: null };
  return { count: values.length, average: values.reduce((a, b) => a + b, 0) / values.length };
}

/** "★★★★½ 4.5 · 2 votes": stars rounded to the nearest half, average to one decimal. */
export function formatRating(rating: RatingSummary): string {
  if (rating.count === 0 || rating.average === null) return NO_RATINGS_TEXT;
  const halves = Math.round(rating.average * 2);
  const stars = '★'.repeat(Math.floor(halves / 2)) + (halves % 2 ? '½' : '');
  const average = (Math.round(rating.average * 10) / 10).toFixed(1);
  return `${stars} ${average} · ${rating.count} ${rating.count === 1 ? 'vote' : 'votes'}`;
}
