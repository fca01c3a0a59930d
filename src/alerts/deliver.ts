import { Routes } from 'discord.js';
import type { DiscordRest } from '../discord/rest.js';
import type { Logger } from '../log.js';
import type { ChannelPause } from '../match/records.js';
import { metrics } from '../metrics.js';
import type { SubscriptionService } from '../match/subscription-service.js';
import type { GuildActivity } from './guild-activity.js';
import type { AlertRecord, OutboxEntry } from './records.js';
import type { AlertStore } from './records.js';
import { MAX_SEND_ATTEMPTS } from './outbox.js';
import { claimStory, markPosted, releaseStory } from './posted-claims.js';
import { addRatingReactions } from './reactions.js';
import { classifySendError, describe, discordAnswer } from './send-errors.js';
import { postedKey, storyKeys } from './story-keys.js';

/** What delivery tells the world beyond the store, wired in src/app.ts (each optional: tests run without them). */
export interface DeliverHooks {
  /** What Herald lacks in a channel (from the gateway cache), as Discord's settings name it; [] when it can't tell. */
  missingPermissions?: (guildId: string, channelId: string) => string[];
  /** Called once when a channel gets paused: posts the notice to its server. */
  onChannelPaused?: (pause: ChannelPause) => Promise<void>;
  /** Per-guild posted counts and last error, for /status. */
  activity?: Pick<GuildActivity, 'recordPosted' | 'recordError'>;
  /** Add the bot's own 1️⃣–5️⃣ under each alert (default true): 5 more requests per alert (RATING_REACTIONS). */
  ratingReactions?: boolean;
}

export interface DeliverDeps extends DeliverHooks {
  store: AlertStore;
  subscriptions: Pick<SubscriptionService, 'removeChannel' | 'pauseChannel' | 'pauseOf'>;
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
  // A paused channel's alerts wait in the outbox, untried, until it is resumed (AlertService.resendChannel).
  if (deps.subscriptions.pauseOf(entry.channelId)) {
    log.info({ event: 'alert.held', ...where }, 'the channel is paused; the alert waits in the outbox until it is resumed');
    return null;
  }
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
  await deps.activity?.recordPosted(entry.guildId);
  metrics.alertsPosted.inc();

  if (deps.ratingReactions === false) return null;
  try {
    await addRatingReactions(rest, entry.channelId, messageId);
  } catch (error) {
    log.warn({ event: 'alert.react_failed', ...where, message: messageId, error: describe(error) }, 'could not add rating reactions (is Add Reactions allowed?)');
  }
  return null;
}

/**
 * A send that failed. A missing permission pauses the channel and keeps the alert (with its claims and nonce) in the
 * outbox for when it is resumed; another definite refusal drops it (and its claims); anything else (network error,
 * 5xx, timeout: the message may exist) keeps it queued, to be sent again as it is.
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
  const noteError = (text: string) => deps.activity?.recordError(entry.guildId, entry.channelId, text);
  if (failure === 'channel_gone') {
    await drop();
    const removed = await deps.subscriptions.removeChannel(entry.channelId);
    log.warn({ event: 'alert.channel_gone', ...where, removedSubscriptions: removed }, 'channel no longer exists; its subscriptions were removed');
    await noteError(`the channel was deleted; its ${removed} subscription${removed === 1 ? ' was' : 's were'} removed`);
    return null;
  }
  if (failure === 'forbidden') {
    await pauseForbidden(deps, entry, error);
    return null;
  }
  const attempts = entry.attempts + 1;
  if (attempts >= MAX_SEND_ATTEMPTS || failure === 'refused') {
    await drop();
    log.error({ event: 'alert.dropped', ...where, attempts, error: describe(error) }, 'alert dropped after failed sends');
    await noteError(`an alert could not be sent and was dropped (${describe(error)})`);
    return null;
  }
  const retry = { ...entry, attempts };
  await store.outbox.set(entry.key, retry); // the same entry (same nonce), one more attempt: under the channel lock
  log.warn({ event: 'alert.send_failed', ...where, attempts, error: describe(error) }, 'alert send failed; it stays in the outbox and is retried');
  await noteError(`an alert send failed and is retried (${describe(error)})`);
  return retry;
}

/**
 * Discord refused for a missing permission: the channel's subscriptions are paused (no new alerts are queued there),
 * this alert stays in the outbox untried, and the first failure (only it) tells the server what to fix.
 */
async function pauseForbidden(deps: DeliverDeps, entry: OutboxEntry, error: unknown): Promise<void> {
  const where = { guild: entry.guildId, channel: entry.channelId, feed: entry.feedUrl, item: entry.itemId };
  const missing = deps.missingPermissions?.(entry.guildId, entry.channelId) ?? [];
  const { pause, created } = await deps.subscriptions.pauseChannel({ guildId: entry.guildId, channelId: entry.channelId, missing, error: discordAnswer(error) });
  deps.log.warn({ event: 'alert.forbidden', ...where, missing, error: describe(error) }, 'Herald may not post in this channel; its subscriptions are paused and the alert waits');
  if (!created) return;
  await deps.activity?.recordError(entry.guildId, entry.channelId, `Discord refused an alert (${pause.error})${missing.length ? `: Herald lacks ${missing.join(', ')}` : ''}; the channel is paused`);
  await deps.onChannelPaused?.(pause).catch((noticeError: unknown) =>
    deps.log.warn({ event: 'notice.failed', ...where, error: describe(noticeError) }, 'could not post the channel-paused notice'),
  );
}
