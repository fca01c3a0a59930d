import type { FeedItem } from '../feeds/types.js';

/** A `posted` claim held by an alert still being sent: `pending:<outbox key>`. */
const PENDING = 'pending:';

/** Keys under which a story counts as already posted in a channel: its link, and its headline when distinctive. */
export function storyKeys(item: Pick<FeedItem, 'id' | 'link' | 'title'>): string[] {
  const keys = [item.link ? `link:${item.link}` : `id:${item.id}`];
  const title = item.title.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
  if (title.length >= 24) keys.push(`title:${title}`);
  return keys;
}

/** The `posted` key of a story key in a channel. */
export function postedKey(channelId: string, storyKey: string): string {
  return `${channelId}|${storyKey}`;
}

/** The claim an outbox entry holds on its story keys while it is being sent. */
export function pendingClaim(outboxKey: string): string {
  return `${PENDING}${outboxKey}`;
}

/** True when a `posted` value is a claim of an alert still being sent, not a message id. */
export function isPendingClaim(value: string): boolean {
  return value.startsWith(PENDING);
}
