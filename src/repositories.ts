// Where the domains meet the store: each domain declares the collections it keeps, beside its records
// (src/feeds/records.ts, src/match/records.ts, src/alerts/records.ts); this module names their namespaces and opens
// them on one backend. It sits above the domains (they never import it) and below app.ts, which hands each service
// only its own slice.
import type { GuildActivityStore } from './alerts/guild-activity.js';
import type { AlertStore } from './alerts/records.js';
import type { ArticleStore } from './feeds/article/records.js';
import type { FeedStore } from './feeds/records.js';
import type { SubscriptionStore } from './match/records.js';
import { openKeyvBackend, type Collection, type StoreOptions } from './store/store.js';

export type { StoreOptions } from './store/store.js';

/** Herald's own bookkeeping (e.g. the hash of the registered slash commands), keyed by name. */
export interface MetaStore {
  meta: Collection<unknown>;
}

/** Every collection Herald persists, one keyv namespace each. */
export interface Store extends FeedStore, ArticleStore, SubscriptionStore, AlertStore, GuildActivityStore, MetaStore {
  describe: string;
  /** Deletes expired entries (keyv only checks expiry on read; run it now and then). Returns how many. */
  sweepExpired(): Promise<number>;
  close(): Promise<void>;
}

/** Collection → namespace. Namespaces are letters only and must never change: they are the rows already stored. */
const NAMESPACE_OF = {
  feeds: 'feed',
  guildFeeds: 'guildfeeds',
  subscriptions: 'subscription',
  pausedChannels: 'pausedchannel',
  seen: 'seen',
  recent: 'recent',
  alerts: 'alert',
  posted: 'posted',
  outbox: 'outbox',
  headlines: 'headlines',
  guildActivity: 'guildactivity',
  meta: 'meta',
  articles: 'articles',
} as const satisfies Record<keyof Omit<Store, 'describe' | 'sweepExpired' | 'close'>, string>;

/** Every namespace Herald stores, for tools that handle the whole store (copy-store, backup checks). */
export const STORE_NAMESPACES: readonly string[] = Object.values(NAMESPACE_OF);

/** Opens and checks the store; throws StoreUnavailableError (naming STORE_URL) when it does not answer. */
export async function openStore(url: string, options: StoreOptions = {}): Promise<Store> {
  const backend = await openKeyvBackend(url, Object.values(NAMESPACE_OF), options);
  return {
    feeds: backend.collection(NAMESPACE_OF.feeds),
    guildFeeds: backend.collection(NAMESPACE_OF.guildFeeds),
    subscriptions: backend.collection(NAMESPACE_OF.subscriptions),
    pausedChannels: backend.collection(NAMESPACE_OF.pausedChannels),
    seen: backend.collection(NAMESPACE_OF.seen),
    recent: backend.collection(NAMESPACE_OF.recent),
    alerts: backend.collection(NAMESPACE_OF.alerts),
    posted: backend.collection(NAMESPACE_OF.posted),
    outbox: backend.collection(NAMESPACE_OF.outbox),
    headlines: backend.collection(NAMESPACE_OF.headlines),
    guildActivity: backend.collection(NAMESPACE_OF.guildActivity),
    meta: backend.collection(NAMESPACE_OF.meta),
    articles: backend.collection(NAMESPACE_OF.articles),
    describe: backend.describe,
    sweepExpired: () => backend.sweepExpired(),
    close: () => backend.close(),
  };
}
