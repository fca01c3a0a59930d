import { createHash } from 'node:crypto';

/**
 * Longest key stored as written. Postgres rows hold at most 255 characters of `namespace:key`; the longest namespace
 * (with a test prefix) stays well under 55, so 200 leaves room on every backend.
 */
export const MAX_PLAIN_KEY = 200;
/** How much of a long key is kept readable in front of its hash. */
const READABLE_PART = 120;

/**
 * The key as stored: itself when short, else a readable head plus the sha256 of the whole key: deterministic (the
 * same long key always lands on the same row) and at most 192 characters.
 */
export function storedKey(key: string): string {
  if (key.length <= MAX_PLAIN_KEY) return key;
  const head = key.slice(0, READABLE_PART).replace(/[\uD800-\uDBFF]$/, ''); // never cut a surrogate pair in two
  return `${head}#sha256:${createHash('sha256').update(key).digest('hex')}`;
}
