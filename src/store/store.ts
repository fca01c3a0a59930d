import type { Collection, KeyvBackend, KeyvBackendOptions } from './keyv-store.js';
import { openKeyvBackend } from './keyv-store.js';

export type { Collection, KeyvBackendOptions as StoreOptions } from './keyv-store.js';
export { StoreConfigError, StoreUnavailableError } from './errors.js';
import type { AlertRecord, FeedRecord, GuildFeedsRecord, OutboxEntry, RecentItemsRecord, SeenRecord, SubscriptionRecord } from './records.js';

/** Every repository Herald persists, one keyv namespace each. */
export interface Store {
  feeds: Collection<FeedRecord>;
  guildFeeds: Collection<GuildFeedsRecord>;
  subscriptions: Collection<SubscriptionRecord>;
  seen: Collection<SeenRecord>;
  /** Feed URL → its latest items, for /preview and /why. */
  recent: Collection<RecentItemsRecord>;
  alerts: Collection<AlertRecord>;
  /**
   * `${channelId}|${storyKey}` → the message id of the alert that carries the story in that channel, or
   * `pending:<outbox key>` while that alert is being sent (see alert-service.ts): one alert per story per channel.
   */
  posted: Collection<string>;
  outbox: Collection<OutboxEntry>;
  describe: string;
  /** Deletes expired entries (keyv only checks expiry on read; run it now and then). Returns how many. */
  sweepExpired(): Promise<number>;
  close(): Promise<void>;
}

/** Opens and checks the store; throws StoreUnavailableError (naming STORE_URL) when it does not answer. */
export async function openStore(url: string, options: KeyvBackendOptions = {}): Promise<Store> {
  const backend: KeyvBackend = await openKeyvBackend(url, options);
  return {
    feeds: backend.collection('feed'),
    guildFeeds: backend.collection('guildfeeds'),
    subscriptions: backend.collection('subscription'),
    seen: backend.collection('seen'),
    recent: backend.collection('recent'),
    alerts: backend.collection('alert'),
    posted: backend.collection('posted'),
    outbox: backend.collection('outbox'),
    describe: backend.describe,
    sweepExpired: () => backend.sweepExpired(),
    close: () => backend.close(),
  };
}

/** Runs read-modify-write sections one at a time per key, so concurrent events on one record don't lose updates. */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, section: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(section, section);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
