import { Routes } from 'discord.js';
import type { DiscordRest } from '../discord/rest.js';
import type { Logger } from '../log.js';
import { metrics } from '../metrics.js';
import type { SubscriptionService } from '../match/subscription-service.js';
import type { AlertRecord, OutboxEntry } from './records.js';
import type { AlertStore } from './records.js';
import { MAX_SEND_ATTEMPTS } from './outbox.js';
import { claimStory, markPosted, releaseStory } from './posted-claims.js';
import { addRatingReactions } from './reactions.js';
import { classifySendError, describe } from './send-errors.js';
import { postedKey, storyKeys } from './story-keys.js';

export interface DeliverDeps {
  store: AlertStore;
  subscriptions: Pick<SubscriptionService, 'removeChannel'>;
  rest: DiscordRest;
  log: Logger;
  clock: () => Date;
}

/**
 * One attempt at sending a queued alert; the caller holds its channel's lock. Returns the entry to try again later
 * (its attempts counted, already stored), or null when it is settled: posted, a duplicate, or dropped. Rejects when the
 * store fails; the entry then stays in the outbox as it was.
 */
export async function deliverOnce(deps: DeliverDeps, queued: OutboxEntry): Promise<OutboxEntry | null> {
  const { store, log, rest } = deps;
  // The stored entry is the truth (its attempts, its nonce); gone means delivered by an earlier drain.
  const entry = await store.outbox.get(queued.key);
  if (!entry) return null;
  const where = { guild: entry.guildId, channel: entry.channelId, feed: entry.feedUrl, item: entry.itemId };
  // The keys again, from what the entry keeps (a drained entry may come from an earlier process): the same keys
  // compose checked, now claimed atomically; this claim, not compose's early skip, is what allows one post.
  const claimKeys = storyKeys({ id: entry.itemId, link: entry.link, title: entry.title }).map((key) => postedKey(entry.channelId, key));
  const holder = await claimStory(store.posted, claimKeys, entry.key);
  if (holder) {
    // Another alert already carries this story here (posted, or being sent): this one is a duplicate.
    await releaseStory(store.posted, claimKeys, entry.key);
    await store.outbox.delete(entry.key);
    log.info({ event: 'alert.duplicate', ...where, message: holder }, 'story already posted here');
    return null;
  }
  let messageId: string;
  try {
    const message = (await rest.post(Routes.channelMessages(entry.channelId), {
      body: { embeds: [entry.embed], allowed_mentions: { parse: [] }, nonce: entry.nonce, enforce_nonce: true },
    })) as { id: string };
    messageId = message.id;
  } catch (error) {
    return sendFailed(deps, entry, error, claimKeys);
  }

  const { key: _key, nonce: _nonce, createdAt: _createdAt, attempts: _attempts, ...target } = entry;
  const record: AlertRecord = { ...target, messageId, postedAt: deps.clock().toISOString(), votes: {} };
  // A resend that Discord answered with the message it had already made must not reset that alert's votes.
  await store.alerts.addIfAbsent(messageId, record);
  await markPosted(store.posted, claimKeys, messageId);
  await store.outbox.delete(entry.key);
  log.info({ event: 'alert.posted', ...where, message: messageId, terms: entry.terms }, 'alert posted');
  metrics.alertsPosted.inc();

  try {
    await addRatingReactions(rest, entry.channelId, messageId);
  } catch (error) {
    log.warn({ event: 'alert.react_failed', ...where, message: messageId, error: describe(error) }, 'could not add rating reactions (is Add Reactions allowed?)');
  }
  return null;
}

/**
 * A send that failed. A definite refusal drops the alert (and its claims); anything else (network error, 5xx,
 * timeout: the message may exist) keeps it queued with its claims and its nonce, to be sent again as it is.
 */
async function sendFailed(deps: DeliverDeps, entry: OutboxEntry, error: unknown, claimKeys: string[]): Promise<OutboxEntry | null> {
  const { store, log } = deps;
  const where = { guild: entry.guildId, channel: entry.channelId, feed: entry.feedUrl, item: entry.itemId };
  const failure = classifySendError(error);
  metrics.sendFailures.inc({ reason: failure });
  const drop = async () => {
    await releaseStory(store.posted, claimKeys, entry.key);
    await store.outbox.delete(entry.key);
  };
  if (failure === 'channel_gone') {
    await drop();
    const removed = await deps.subscriptions.removeChannel(entry.channelId);
    log.warn({ event: 'alert.channel_gone', ...where, removedSubscriptions: removed }, 'channel no longer exists; its subscriptions were removed');
    return null;
  }
  if (failure === 'forbidden') {
    await drop();
    log.warn({ event: 'alert.forbidden', ...where, error: describe(error) }, 'Herald may not post in this channel: grant View Channel, Send Messages and Embed Links');
    return null;
  }
  const attempts = entry.attempts + 1;
  if (attempts >= MAX_SEND_ATTEMPTS || failure === 'refused') {
    await drop();
    log.error({ event: 'alert.dropped', ...where, attempts, error: describe(error) }, 'alert dropped after failed sends');
    return null;
  }
  const retry = { ...entry, attempts };
  await store.outbox.set(entry.key, retry); // the same entry (same nonce), one more attempt: under the channel lock
  log.warn({ event: 'alert.send_failed', ...where, attempts, error: describe(error) }, 'alert send failed; it stays in the outbox and is retried');
  return retry;
}
