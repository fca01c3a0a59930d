// The outbox: an alert is stored here before it is sent and deleted once it is posted (or dropped), so an alert
// decided is an alert delivered even across a crash.
import { createHash } from 'node:crypto';
import type { OutboxEntry } from './records.js';
import type { AlertStore } from './records.js';

type Outbox = AlertStore['outbox'];

/** Attempts before an alert that keeps failing (not for a permanent reason) is dropped. */
export const MAX_SEND_ATTEMPTS = 8;

/** The outbox key of a story in a channel: the channel and the story's first story key. */
export function outboxKey(channelId: string, storyKeys: string[]): string {
  return `${channelId}|${storyKeys[0]}`;
}

/**
 * The nonce of the alert stored under an outbox key (channel + story): derived, never random, so every send of that
 * alert, from any process, carries the same nonce and Discord's `enforce_nonce` returns the message already created
 * (within its window of a few minutes) instead of posting it again. Discord takes up to 25 characters.
 */
export function nonceFor(outboxKey: string): string {
  return createHash('sha256').update(outboxKey).digest('hex').slice(0, 25);
}

/**
 * Queues an alert; false when one is already queued under its key. Never replaces a queued entry: the one there may
 * have been sent already (its answer lost) and must be retried as it is, with its nonce.
 */
export function enqueue(outbox: Outbox, entry: OutboxEntry): Promise<boolean> {
  return outbox.addIfAbsent(entry.key, entry);
}

/** Every queued alert, oldest first. */
export async function queued(outbox: Outbox): Promise<OutboxEntry[]> {
  const pending: OutboxEntry[] = [];
  for await (const [, entry] of outbox.entries()) pending.push(entry);
  pending.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  return pending;
}
