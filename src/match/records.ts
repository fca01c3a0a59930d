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

/**
 * A channel whose subscriptions are paused because Discord refused an alert there for a missing permission: its
 * subscriptions match nothing until it is resumed (/subscriptions resume, or /status once the permission is back).
 */
export interface ChannelPause {
  guildId: string;
  channelId: string;
  pausedAt: string;
  /** What Herald lacked there when the send failed, as Discord's settings name it ("Send Messages"); [] when unknown. */
  missing: string[];
  /** Discord's answer, e.g. "50013 Missing Permissions". */
  error: string;
}

/** The collections the match module keeps (assembled with the others in src/repositories.ts). */
export interface SubscriptionStore {
  subscriptions: Collection<SubscriptionRecord>;
  /** channel id → its pause, while paused */
  pausedChannels: Collection<ChannelPause>;
}
