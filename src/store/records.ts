import type { APIEmbed } from 'discord.js';
import type { FeedItem } from '../feeds/types.js';

/** A followed feed and its polling state. Keyed by canonical feed URL. */
export interface FeedRecord {
  url: string;
  title: string;
  siteUrl: string | null;
  etag: string | null;
  lastModified: string | null;
  /** sha1 of the last body parsed, to skip parsing a byte-identical answer. */
  bodyHash: string | null;
  /** Why the body with `bodyHash` could not be parsed (null when it parsed): an unchanged broken body fails again unparsed. */
  bodyParseError?: string | null;
  addedAt: string;
  lastPolledAt: string | null;
  lastSuccessAt: string | null;
  lastNewItemAt: string | null;
  consecutiveFailures: number;
  firstFailureAt: string | null;
  lastError: string | null;
  disabledReason: string | null;
  /** When the feed was disabled (after about 3 days of failure); cleared by /feed retry. */
  disabledAt?: string | null;
  /** When `lastError` happened. */
  lastErrorAt?: string | null;
  /** Not polled before this time: the server's max-age after a success, the backoff after a failure. */
  nextPollAt: string | null;
}

/** Which feeds one guild follows, beyond the configured defaults (and which defaults it dropped). */
export interface GuildFeedsRecord {
  follows: string[];
  droppedDefaults: string[];
}

export interface SubscriptionRecord {
  id: string;
  guildId: string;
  channelId: string;
  /** What the user typed. */
  queryText: string;
  /** Canonical printed form: two spellings of one query share it. */
  canonical: string;
  /** The parsed query (JSON AST), so a restart needs no re-parse. */
  query: unknown;
  createdBy: string;
  createdAt: string;
  mode: 'instant';
}

/** Item ids and links already seen in one feed, newest last, bounded. */
export interface SeenRecord {
  ids: string[];
  links: string[];
}

/** A feed's latest items as last parsed (bounded), for /preview and /why. */
export interface RecentItemsRecord {
  items: FeedItem[];
  fetchedAt: string;
}

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
}

/** An alert decided but not yet confirmed posted. Keyed by `${channelId}|${storyKey}`. */
export interface OutboxEntry extends AlertTarget {
  key: string;
  nonce: string;
  createdAt: string;
  attempts: number;
}
