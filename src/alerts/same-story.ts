// One post per story across outlets. The same story from another feed (another link, a near-identical headline)
// within the window is not posted again in a channel: the outlet is added to the first alert's "Also reported by"
// field, by editing that message.
import { Routes } from 'discord.js';
import type { DiscordRest } from '../discord/rest.js';
import type { Logger } from '../log.js';
import { withRating } from '../ratings/rating-field.js';
import { summarizeVotes } from '../ratings/rating.js';
import { currentVotes, type SharedVotes } from '../ratings/rating-service.js';
import type { SectionLock } from '../store/store.js';
import { mergeReporters, withAlsoReportedBy, type Reporter } from './also-reported-by.js';
import { postedMessage } from './posted-claims.js';
import { findSameStory, withHeadline, withReporter, type RecentHeadline } from './recent-headlines.js';
import type { AlertStore, OutboxEntry } from './records.js';
import { describe } from './send-errors.js';
import { isPendingClaim, postedKey, storyKeys } from './story-keys.js';

export interface SameStoryDeps {
  store: AlertStore;
  rest: DiscordRest;
  log: Logger;
  clock: () => Date;
  /** How long a channel remembers what it was sent; 0 turns the check off. */
  windowMs: number;
  /** Serialises every edit of one message (shared with the rating edits, so neither undoes the other). */
  messageLock: SectionLock;
  /** One decision at a time per channel: two outlets' versions arriving together make one post, not two. */
  channelLock: SectionLock;
  /** Votes shared by several processes (Redis): the edit shows those, and tells a rating edit in flight to redo. */
  sharedVotes?: SharedVotes & { bumpMessage(messageId: string): Promise<number> };
}

/** What became of an alert offered to its channel. */
export type Admission =
  | { kind: 'queued' }
  /** The same link is already queued here. */
  | { kind: 'already_queued' }
  /** The same story from the feed that carried it first: nothing to add. */
  | { kind: 'same_outlet'; first: RecentHeadline }
  /** The same story from another outlet, now listed on the first alert. */
  | { kind: 'same_story'; first: RecentHeadline };

/** Dropped first alerts skipped while looking for a live one (a channel whose sends are all refused stops early). */
const MAX_DEAD_ROUNDS = 3;

export class SameStoryTracker {
  constructor(private readonly deps: SameStoryDeps) {}

  /**
   * Queues the alert (`enqueue`) unless its channel was sent the same story within the window; then records `reporter`
   * on that first alert instead. Rejects when the store fails.
   */
  admit(entry: OutboxEntry, reporter: Reporter, enqueue: () => Promise<boolean>): Promise<Admission> {
    const { store, clock, windowMs } = this.deps;
    if (windowMs <= 0) return enqueue().then((queued) => ({ kind: queued ? 'queued' : 'already_queued' }));
    return this.deps.channelLock.run(entry.channelId, async () => {
      const now = clock();
      let list = await store.headlines.get(entry.channelId);
      // A first alert that was dropped (Herald may not post there, Discord refused it) carries nothing: it is forgotten,
      // so the story is not lost with it. Bounded: past a few dropped ones, the alert is simply queued.
      let first: RecentHeadline | null = null;
      for (let round = 0; list && round < MAX_DEAD_ROUNDS; round++) {
        const candidate = findSameStory(list, entry.title, now, windowMs);
        if (!candidate || candidate.outboxKey === entry.key) break;
        if (await this.alive(entry.channelId, candidate)) {
          first = candidate;
          break;
        }
        list = { headlines: list.headlines.filter((h) => h.outboxKey !== candidate.outboxKey) };
      }
      if (list && first) {
        if (first.feedUrl === reporter.feedUrl) return { kind: 'same_outlet', first };
        const updated = withReporter(list, first.outboxKey, reporter);
        await store.headlines.set(entry.channelId, updated, windowMs);
        const outboxKey = first.outboxKey;
        return { kind: 'same_story', first: updated.headlines.find((h) => h.outboxKey === outboxKey) ?? first };
      }
      // Queued first, remembered second: a crash between the two risks a duplicate post, never a lost alert.
      if (!(await enqueue())) return { kind: 'already_queued' };
      if (!list?.headlines.some((h) => h.outboxKey === entry.key)) {
        const headline: RecentHeadline = {
          title: entry.title,
          feedUrl: entry.feedUrl,
          outboxKey: entry.key,
          storyKeys: storyKeys({ id: entry.itemId, link: entry.link, title: entry.title }),
          at: now.toISOString(),
          reportedBy: [],
        };
        try {
          await store.headlines.set(entry.channelId, withHeadline(list, headline, now, windowMs), windowMs);
        } catch (error) {
          // the alert is queued and must still be sent; only its later duplicates go unnoticed
          this.deps.log.warn({ event: 'alert.headline_unsaved', guild: entry.guildId, channel: entry.channelId, feed: entry.feedUrl, item: entry.itemId, error: describe(error) }, 'could not remember this headline; the same story from another outlet may be posted again');
        }
      }
      return { kind: 'queued' };
    });
  }

  /** True while the alert behind a headline is queued, being sent or posted. */
  private async alive(channelId: string, headline: RecentHeadline): Promise<boolean> {
    if (await this.deps.store.outbox.get(headline.outboxKey)) return true;
    return (await postedMessage(this.deps.store.posted, headline.storyKeys.map((key) => postedKey(channelId, key)))) !== undefined;
  }

  /** After an alert's send settled: outlets recorded while it was still queued are shown now. */
  async afterDelivery(entry: OutboxEntry): Promise<void> {
    if (this.deps.windowMs <= 0) return;
    const list = await this.deps.store.headlines.get(entry.channelId);
    const headline = list?.headlines.find((h) => h.outboxKey === entry.key);
    if (headline && headline.reportedBy.length > 0) await this.show(entry.channelId, headline);
  }

  /**
   * Brings the first alert's message up to date with the outlets recorded for it: the record first, then the edit.
   * Idempotent: an outlet is listed once, and an edit lost (a crash, a failed PATCH) is made again on the next call.
   * Nothing happens while the alert is still queued (afterDelivery shows them once it is posted).
   */
  async show(channelId: string, first: RecentHeadline): Promise<void> {
    const { store, rest, log, messageLock } = this.deps;
    const messageId = await postedMessage(store.posted, first.storyKeys.map((key) => postedKey(channelId, key)));
    if (!messageId || isPendingClaim(messageId)) return;
    await messageLock.run(messageId, async () => {
      const record = await store.alerts.get(messageId);
      if (!record) return;
      const known = record.alsoReportedBy ?? [];
      const reporters = mergeReporters(known, first.reportedBy);
      if (reporters.length === known.length && (record.alsoReportedShown ?? 0) === reporters.length) return;
      const updated = { ...record, alsoReportedBy: reporters, embed: withAlsoReportedBy(record.embed, reporters) };
      await store.alerts.set(messageId, updated);
      // a rating edit rendered before this record changed (in another process) sees the bump and edits again
      await this.deps.sharedVotes?.bumpMessage(messageId);
      const where = { guild: record.guildId, channel: channelId, feed: record.feedUrl, message: messageId };
      try {
        const votes = await currentVotes(updated, this.deps.sharedVotes);
        await rest.patch(Routes.channelMessage(channelId, messageId), {
          body: { embeds: [withRating(updated.embed, summarizeVotes(votes))], allowed_mentions: { parse: [] } },
        });
      } catch (error) {
        log.warn({ event: 'alert.also_reported_failed', ...where, error: describe(error) }, 'could not add the other outlets to the alert; the next edit of it adds them');
        return;
      }
      await store.alerts.set(messageId, { ...updated, alsoReportedShown: reporters.length });
      log.info({ event: 'alert.also_reported', ...where, outlets: reporters.length }, 'alert lists the other outlets that carried its story');
    });
  }
}
