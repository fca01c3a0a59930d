import type { APIEmbed } from 'discord.js';
import type { Collection } from '../store/store.js';
import type { Reporter } from './also-reported-by.js';
import type { ChannelHeadlines } from './recent-headlines.js';

/** What an alert is about and where it goes: shared by the outbox entry and the posted alert. */
export interface AlertTarget {
  guildId: string;
  channelId: string;
  feedUrl: string;
  itemId: string;
  title: string;
  link: string | null;
  terms: string[];
  subscriptionIds: string[];
  /** The embed as composed (posted alerts re-render its rating line on every vote). */
  embed: APIEmbed;
}

/** A posted alert, keyed by its Discord message id. */
export interface AlertRecord extends AlertTarget {
  messageId: string;
  postedAt: string;
  /** user id → 1..5 */
  votes: Record<string, number>;
  /** Other outlets that carried the same story in this channel; the embed's "Also reported by" is built from it. */
  alsoReportedBy?: Reporter[];
  /** How many of them the message showed at its last successful edit (an edit lost in a crash is made again). */
  alsoReportedShown?: number;
}

/** An alert decided but not yet confirmed posted. Keyed by `${channelId}|${storyKey}`. */
export interface OutboxEntry extends AlertTarget {
  key: string;
  nonce: string;
  createdAt: string;
  attempts: number;
}

/** The collections the alerts module keeps (assembled with the others in src/repositories.ts). */
export interface AlertStore {
  alerts: Collection<AlertRecord>;
  /**
   * `${channelId}|${storyKey}` → the message id of the alert that carries the story in that channel, or
   * `pending:<outbox key>` while that alert is being sent (see alert-service.ts): one alert per story per channel.
   */
  posted: Collection<string>;
  outbox: Collection<OutboxEntry>;
  /** channel id → the headlines it was sent within the duplicate window (one story, one post: see same-story.ts). */
  headlines: Collection<ChannelHeadlines>;
}
