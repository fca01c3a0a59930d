import { DiscordAPIError, Routes, type APIEmbed } from 'discord.js';
import type { DiscordRest } from '../discord/rest.js';
import type { Logger } from '../log.js';
import { KeyedLock, type Collection } from '../store/store.js';
import { formatRating, summarizeVotes, voteFromEmoji } from './rating.js';
import { withRating } from './rating-field.js';

const UNKNOWN_MESSAGE = 10008;
const UNKNOWN_CHANNEL = 10003;

export interface ReactionEvent {
  kind: 'add' | 'remove';
  messageId: string;
  channelId: string;
  userId: string;
  emoji: string | null;
}

/**
 * What ratings need of a posted alert. The alerts module's AlertRecord has these fields (and more, which a vote keeps:
 * the record read is the record written back), so ratings never imports alerts.
 */
export interface RatedAlert {
  messageId: string;
  guildId: string;
  channelId: string;
  embed: APIEmbed;
  /** user id → 1..5 */
  votes: Record<string, number>;
}

export interface RatingServiceDeps {
  /** Posted alerts by message id. */
  store: { alerts: Collection<RatedAlert> };
  rest: DiscordRest;
  log: Logger;
  /** The bot's own user id: its reactions never count. */
  botUserId: () => string | null;
  /** Edits are debounced per message to respect Discord's edit rate limits. */
  refreshDelayMs?: number;
  /** Serialises the votes and edits of one message; shared with whatever else edits alerts (see AlertService). */
  messageLock?: KeyedLock;
}

/** Reactions 1️⃣–5️⃣ on an alert are votes: one per user per alert; the embed's Rating field follows them. */
export class RatingService {
  private readonly lock: KeyedLock;
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly refreshing = new Set<Promise<void>>();

  constructor(private readonly deps: RatingServiceDeps) {
    this.lock = deps.messageLock ?? new KeyedLock();
  }

  /** Applies one reaction event. Returns the alert's votes afterwards, or null when it was not a vote on an alert. */
  async onReaction(event: ReactionEvent): Promise<Record<string, number> | null> {
    const vote = voteFromEmoji(event.emoji);
    if (vote === null || event.userId === this.deps.botUserId()) return null;
    const votes = await this.lock.run(event.messageId, async () => {
      const alert = await this.deps.store.alerts.get(event.messageId);
      if (!alert) return null;
      const current = alert.votes[event.userId];
      if (event.kind === 'add' && current !== vote) alert.votes[event.userId] = vote;
      // Removing a number withdraws the vote only if it is the user's current one (they may have moved on).
      else if (event.kind === 'remove' && current === vote) delete alert.votes[event.userId];
      else return alert.votes;
      await this.deps.store.alerts.set(alert.messageId, alert);
      this.deps.log.info({ event: 'rating.vote', guild: alert.guildId, channel: alert.channelId, message: alert.messageId, votes: Object.keys(alert.votes).length }, 'vote recorded');
      return alert.votes;
    });
    if (votes) this.scheduleRefresh(event.messageId);
    return votes;
  }

  /** Applies every pending embed refresh now (shutdown, tests). */
  async flush(): Promise<void> {
    for (const [messageId, timer] of this.pending) {
      clearTimeout(timer);
      this.pending.delete(messageId);
      this.startRefresh(messageId);
    }
    while (this.refreshing.size) await Promise.allSettled([...this.refreshing]);
  }

  private scheduleRefresh(messageId: string): void {
    if (this.pending.has(messageId)) return;
    const timer = setTimeout(() => {
      this.pending.delete(messageId);
      this.startRefresh(messageId);
    }, this.deps.refreshDelayMs ?? 1500);
    timer.unref?.();
    this.pending.set(messageId, timer);
  }

  private startRefresh(messageId: string): void {
    const run = this.refresh(messageId)
      // the store failing (it throws now) must not become an unhandled rejection; the votes stay stored
      .catch((error: unknown) => this.deps.log.warn({ event: 'rating.refresh_failed', message: messageId, error: error instanceof Error ? error.message : String(error) }, 'could not update the rating line'))
      .finally(() => this.refreshing.delete(run));
    this.refreshing.add(run);
  }

  /** Under the message's lock: an edit made from a stale read would undo another one (e.g. "Also reported by"). */
  private refresh(messageId: string): Promise<void> {
    return this.lock.run(messageId, () => this.refreshNow(messageId));
  }

  private async refreshNow(messageId: string): Promise<void> {
    const alert = await this.deps.store.alerts.get(messageId);
    if (!alert) return;
    const rating = summarizeVotes(alert.votes);
    const where = { guild: alert.guildId, channel: alert.channelId, message: messageId };
    try {
      await this.deps.rest.patch(Routes.channelMessage(alert.channelId, messageId), {
        body: { embeds: [withRating(alert.embed, rating)], allowed_mentions: { parse: [] } },
      });
      this.deps.log.debug({ event: 'rating.refresh', ...where, rating: formatRating(rating) }, 'rating shown');
    } catch (error) {
      const code = error instanceof DiscordAPIError ? Number(error.code) : null;
      if (code === UNKNOWN_MESSAGE || code === UNKNOWN_CHANNEL) {
        await this.deps.store.alerts.delete(messageId);
        this.deps.log.info({ event: 'rating.alert_gone', ...where }, 'alert message was deleted; its votes are forgotten');
        return;
      }
      this.deps.log.warn({ event: 'rating.refresh_failed', ...where, error: error instanceof Error ? error.message : String(error) }, 'could not update the rating line');
    }
  }
}
