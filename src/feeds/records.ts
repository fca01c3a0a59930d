import type { Collection } from '../store/store.js';
import type { FeedItem } from './types.js';

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

/** The collections the feeds module keeps (one store namespace each; assembled in src/repositories.ts). */
export interface FeedStore {
  feeds: Collection<FeedRecord>;
  guildFeeds: Collection<GuildFeedsRecord>;
  seen: Collection<SeenRecord>;
  /** Feed URL → its latest items, for /preview and /why. */
  recent: Collection<RecentItemsRecord>;
}
