// Several Herald processes keep subscriptions and follows in memory; a change made in one is announced to the others.
/** A record other processes hold in memory changed: they read it again from the store. */
export interface Change {
  kind: 'subscription' | 'pause' | 'guildfeeds';
  id: string;
}

/** Tells the other processes what changed. A process with no peers (HERALD_ROLE=all) uses `noChangeBus`. */
export interface ChangeBus {
  publish(change: Change): Promise<void>;
}

export const noChangeBus: ChangeBus = { publish: async () => undefined };
