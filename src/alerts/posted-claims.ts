// The `posted` collection: which alert carries a story in a channel. An alert claims its story keys (atomically)
// before it is sent and turns the claims into its message id once posted, so one story is posted once per channel.
import type { AlertStore } from './records.js';
import { pendingClaim } from './story-keys.js';

/** How long a channel remembers a posted story, to skip the same story from another feed. */
const POSTED_TTL_MS = 30 * 24 * 60 * 60_000;

type Posted = AlertStore['posted'];

/** What already holds one of these `posted` keys (a message id or a pending claim), if anything. */
export async function postedMessage(posted: Posted, postedKeys: string[]): Promise<string | undefined> {
  for (const key of postedKeys) {
    const message = await posted.get(key);
    if (message) return message;
  }
  return undefined;
}

/**
 * Claims every story key of an alert in its channel (atomic add-if-absent per key; a claim already ours, from an
 * earlier attempt, counts). Returns what holds a key another alert has, or undefined when all are ours.
 */
export async function claimStory(posted: Posted, postedKeys: string[], outboxKey: string): Promise<string | undefined> {
  const claim = pendingClaim(outboxKey);
  for (const key of postedKeys) {
    if (await posted.addIfAbsent(key, claim, POSTED_TTL_MS)) continue;
    const holder = await posted.get(key);
    if (holder === claim) continue;
    // freed between the add and the read: one more add decides
    if (holder === undefined && (await posted.addIfAbsent(key, claim, POSTED_TTL_MS))) continue;
    return holder ?? 'unknown';
  }
  return undefined;
}

/** Gives back the claims an alert that will not be posted holds (under the channel lock, so no one else writes them). */
export async function releaseStory(posted: Posted, postedKeys: string[], outboxKey: string): Promise<void> {
  const claim = pendingClaim(outboxKey);
  for (const key of postedKeys) if ((await posted.get(key)) === claim) await posted.delete(key);
}

/** Our own claims become the message id (a crash before this resends with the same nonce: Discord dedupes it). */
export async function markPosted(posted: Posted, postedKeys: string[], messageId: string): Promise<void> {
  for (const key of postedKeys) await posted.set(key, messageId, POSTED_TTL_MS);
}
