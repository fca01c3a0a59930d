import type { Logger } from '../log.js';
import type { OutboxEntry } from './records.js';
import { KeyedLock } from '../store/store.js';
import { MAX_SEND_ATTEMPTS } from './outbox.js';
import { describe } from './send-errors.js';

export interface DispatcherDeps {
  /** One attempt at sending an entry (see deliverOnce): the entry to retry, or null when settled; rejects when the store fails. */
  deliver: (entry: OutboxEntry) => Promise<OutboxEntry | null>;
  log: Logger;
  /** First retry delay after a failed send; doubles per attempt, up to MAX_RETRY_DELAY_MS. */
  retryDelayMs?: number;
}

/**
 * Runs sends: one channel at a time (so a channel's alerts keep their order), retries with a doubling delay, and
 * knows what is in flight so shutdown can wait for it.
 */
export class Dispatcher {
  private readonly channelLock = new KeyedLock();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly deps: DispatcherDeps) {}

  /** Starts sending an entry (after the channel's earlier ones). */
  send(entry: OutboxEntry): void {
    this.track(this.deliver(entry));
  }

  /** Resolves when no send is in flight. */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  /** Stops scheduled retries (what they would send stays in the outbox for the next start). */
  close(): void {
    this.closed = true;
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
  }

  /** Resolves, never rejects: when the store fails, the entry (still in the outbox) is retried later. */
  private deliver(entry: OutboxEntry): Promise<void> {
    return this.channelLock.run(entry.channelId, async () => {
      try {
        const retry = await this.deps.deliver(entry);
        if (retry) this.scheduleRetry(retry);
      } catch (error) {
        const attempts = entry.attempts + 1;
        this.deps.log.warn(
          { event: 'alert.store_unavailable', guild: entry.guildId, channel: entry.channelId, feed: entry.feedUrl, item: entry.itemId, attempts, error: describe(error) },
          'the store failed while sending an alert; it stays in the outbox and is retried',
        );
        this.scheduleRetry({ ...entry, attempts });
      }
    });
  }

  private scheduleRetry(entry: OutboxEntry): void {
    if (this.closed) return;
    if (entry.attempts >= MAX_SEND_ATTEMPTS) {
      // only after store failures (a failing send is dropped before): the entry stays in the outbox
      this.deps.log.error({ event: 'alert.stuck', guild: entry.guildId, channel: entry.channelId, feed: entry.feedUrl, item: entry.itemId }, 'alert still unsent after store failures; it is sent at the next start');
      return;
    }
    const delay = retryDelayMs(this.deps.retryDelayMs ?? 30_000, entry.attempts);
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      if (!this.closed) this.send(entry);
    }, delay);
    timer.unref?.();
    this.retryTimers.add(timer);
  }

  private track(promise: Promise<unknown>): void {
    this.inFlight.add(promise);
    void promise.finally(() => this.inFlight.delete(promise));
  }
}

/**
 * Retries stay close together: a send whose answer was lost may have created the message, and only a resend inside
 * Discord's nonce window (a few minutes) is answered with that message instead of a second post. Doubling from 30 s
 * capped at a minute puts the first four retries within 3½ minutes.
 */
export const MAX_RETRY_DELAY_MS = 60_000;

export function retryDelayMs(firstMs: number, attempts: number): number {
  return Math.min(firstMs * 2 ** Math.max(0, attempts - 1), Math.max(firstMs, MAX_RETRY_DELAY_MS));
}
