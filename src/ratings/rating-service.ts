import { DiscordAPIError, Routes, type APIEmbed } from 'discord.js';
import type { DiscordRest } from '../discord/rest.js';
import type { Logger } from '../log.js';
import { KeyedLock, type Collection, type SectionLock } from '../store/store.js';
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

/**
 * Votes kept apart from the alert record, one field per (alert, member), for several processes at once (Redis: see
 * src/store/redis-coordination.ts). Each change is one atomic step; `version` grows with every change to what the
 * message shows, so an edit rendered from older state is made again.
 */
export interface SharedVotes {
  setVote(messageId: string, userId: string, vote: number, seed?: Record<string, number>): Promise<boolean>;
  withdrawVote(messageId: string, userId: string, vote: number, seed?: Record<string, number>): Promise<boolean>;
  votes(messageId: string): Promise<{ votes: Record<string, number>; version: number } | null>;
  forgetVotes(messageId: string): Promise<void>;
}

/** Edits of one message made again at most this often when its votes keep changing underneath (shared votes). */
const MAX_REFRESH_ROUNDS = 4;

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
  messageLock?: SectionLock;
  /** Votes shared by several processes (Redis); absent: votes live in the alert record (one process). */
  sharedVotes?: SharedVotes;
}

/** The votes an alert shows: the shared ones when kept there, else the record's own. */
export async function currentVotes(alert: RatedAlert, shared: SharedVotes | undefined): Promise<Record<string, number>> {
  if (!shared) return alert.votes;
  return (await shared.votes(alert.messageId))?.votes ?? alert.votes;
}

/** Reactions 1️⃣–5️⃣ on an alert are votes: one per user per alert; the embed's Rating field follows them. */
export class RatingService {
  private readonly lock: SectionLock;
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly refreshing = new Set<Promise<void>>();

  constructor(private readonly deps: RatingServiceDeps) {
    this.lock = deps.messageLock ?? new KeyedLock();
  }

  /** Applies one reaction event. Returns the alert's votes afterwards, or null when it was not a vote on an alert. */
  async onReaction(event: ReactionEvent): Promise<Record<string, number> | null> {
    const vote = voteFromEmoji(event.emoji);
    if (vote === null || event.userId === this.deps.botUserId()) return null;
    if (this.deps.sharedVotes) return this.onSharedReaction(event, vote, this.deps.sharedVotes);
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

  /** A vote as one atomic step on the shared votes: no lock, no read-modify-write of the record. */
  private async onSharedReaction(event: ReactionEvent, vote: number, shared: SharedVotes): Promise<Record<string, number> | null> {
    const alert = await this.deps.store.alerts.get(event.messageId);
    if (!alert) return null;
    const changed =
      event.kind === 'add' ? await shared.setVote(alert.messageId, event.userId, vote, alert.votes) : await shared.withdrawVote(alert.messageId, event.userId, vote, alert.votes);
    const votes = (await shared.votes(alert.messageId))?.votes ?? {};
    if (!changed) return votes;
    this.deps.log.info({ event: 'rating.vote', guild: alert.guildId, channel: alert.channelId, message: alert.messageId, votes: Object.keys(votes).length }, 'vote recorded');
    this.scheduleRefresh(event.messageId);
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
    const shared = this.deps.sharedVotes;
    if (!shared) {
      await this.editOnce(messageId, null);
      return;
    }
    // Another process may change the votes (or the message) while this edit is on its way: the edit is made again
    // from what is stored until what it showed is still current.
    for (let round = 0; round < MAX_REFRESH_ROUNDS; round++) {
      const before = await shared.votes(messageId);
      if (!(await this.editOnce(messageId, before?.votes ?? null))) return;
      const after = await shared.votes(messageId);
      if ((after?.version ?? 0) === (before?.version ?? 0)) return;
    }
  }

  /** One edit of the rating line; false when there is nothing (more) to edit. */
  private async editOnce(messageId: string, sharedVotes: Record<string, number> | null): Promise<boolean> {
    const alert = await this.deps.store.alerts.get(messageId);
    if (!alert) return false;
    const rating = summarizeVotes(sharedVotes ?? alert.votes);
    const where = { guild: alert.guildId, channel: alert.channelId, message: messageId };
    try {
      await this.deps.rest.patch(Routes.channelMessage(alert.channelId, messageId), {
        body: { embeds: [withRating(alert.embed, rating)], allowed_mentions: { parse: [] } },
      });
      this.deps.log.debug({ event: 'rating.refresh', ...where, rating: formatRating(rating) }, 'rating shown');
      return true;
    } catch (error) {
      const code = error instanceof DiscordAPIError ? Number(error.code) : null;
      if (code === UNKNOWN_MESSAGE || code === UNKNOWN_CHANNEL) {
        await this.deps.store.alerts.delete(messageId);
        await this.deps.sharedVotes?.forgetVotes(messageId);
        this.deps.log.info({ event: 'rating.alert_gone', ...where }, 'alert message was deleted; its votes are forgotten');
        return false;
      }
      this.deps.log.warn({ event: 'rating.refresh_failed', ...where, error: error instanceof Error ? error.message : String(error) }, 'could not update the rating line');
      return false;
    }
  }
}
