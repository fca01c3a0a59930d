import type { Collection } from '../store/store.js';

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

/** The collection the match module keeps (assembled with the others in src/repositories.ts). */
export interface SubscriptionStore {
  subscriptions: Collection<SubscriptionRecord>;
}
