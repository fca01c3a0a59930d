/**
 * Schedule math for polling, all pure (time in, time out) so it is unit-tested without timers.
 *
 * How polling is timed:
 * - `POLL_CRON` (node-cron) ticks; each tick starts one poll cycle that polls every feed that is due. A feed's base
 *   interval is the cron's period (the smallest gap between its next runs), so by default every feed is polled
 *   once per tick.
 * - Within a cycle the fetches are spread over most of the period: each feed has a stable offset from a hash of its
 *   URL, so the same feed is fetched at about the same moment of every cycle and a busy host is not hit all at once.
 * - A feed is held back beyond the next tick only by `nextPollAt`: the server's `Cache-Control: max-age` (capped by the
 *   fetcher) after a success, or the exponential backoff after a failure.
 * - A feed that has failed for `DISABLE_AFTER_MS` is disabled until someone runs `/feed retry`.
 */
import { createTask } from 'node-cron';

export const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
/** Backoff never waits longer than this between two attempts. */
const BACKOFF_CAP_MS = DAY_MS;
/** A feed failing this long (since its first failure in a row) is disabled. */
export const DISABLE_AFTER_MS = 3 * DAY_MS;
/**
 * The longest a server's Cache-Control max-age or Retry-After may hold a feed back. Headers are untrusted input:
 * `Retry-After: 99999999999999999999` must not push a date past what Date can represent.
 */
export const MAX_SERVER_HOLD_MS = DAY_MS;
/** Used when the cron's period can't be worked out. */
export const DEFAULT_INTERVAL_MS = 2 * MINUTE_MS;
/** Share of the period the fetches of one cycle are spread over; the rest is headroom to finish before the next tick. */
export const SPREAD_SHARE = 0.75;

/**
 * The poll interval a cron expression stands for: the smallest gap between its next runs (every 2 minutes for
 * `*\/2 * * * *`; one day for `0 9 * * 1-5`). Uses node-cron's own parser on a task that is never started.
 */
export function cronPeriodMs(expression: string, fallbackMs = DEFAULT_INTERVAL_MS): number {
  let task: ReturnType<typeof createTask> | null = null;
  try {
    task = createTask(expression, () => undefined, { name: `herald-period-probe-${Math.random().toString(36).slice(2)}` });
    const runs = task.getNextRuns(8).map((d) => d.getTime());
    let min = Infinity;
    for (let i = 1; i < runs.length; i++) min = Math.min(min, runs[i]! - runs[i - 1]!);
    return Number.isFinite(min) && min > 0 ? min : fallbackMs;
  } catch {
    return fallbackMs;
  } finally {
    void task?.destroy();
  }
}

/** A stable number in [0, 1) from a string (FNV-1a, 32 bit): the same URL always lands on the same point. */
export function stableFraction(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) / 2 ** 32;
}

/** Where in a cycle a feed is fetched: a stable offset in [0, spreadMs) from its URL. */
export function jitterMs(url: string, spreadMs: number): number {
  return spreadMs > 0 ? Math.floor(stableFraction(url) * spreadMs) : 0;
}

/**
 * Tolerance when comparing a due time with a slot: cron ticks and fetch times wobble by milliseconds, and a feed
 * due "one interval after its last poll" must not miss the next tick because that tick fired 5 ms early.
 */
export function slackMs(intervalMs: number): number {
  return Math.min(5_000, Math.floor(intervalMs / 10));
}

/** How long to wait after the `failures`-th failure in a row: the interval, doubling, capped at a day. */
export function backoffMs(failures: number, intervalMs: number, capMs = BACKOFF_CAP_MS): number {
  const n = Math.max(1, failures);
  return Math.min(intervalMs * 2 ** Math.min(n - 1, 40), capMs);
}

/** A header's seconds as bounded milliseconds: 0 for junk (NaN, negative), at most MAX_SERVER_HOLD_MS. */
function boundedServerHoldMs(seconds: number | null | undefined): number {
  if (typeof seconds !== 'number' || !(seconds > 0)) return 0; // also NaN
  return Math.min(seconds * 1000, MAX_SERVER_HOLD_MS);
}

/** An ISO string for a time, or null when the time is not one Date can represent. */
function isoOrNull(ms: number): string | null {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : null;
}

/** After a success: held back only by the server's max-age (at most a day), else the next tick. */
export function nextPollAfterSuccess(polledAt: Date, maxAgeSeconds: number | null | undefined): string | null {
  const hold = boundedServerHoldMs(maxAgeSeconds);
  return hold > 0 ? isoOrNull(polledAt.getTime() + hold) : null;
}

/**
 * After a failure: backoff from the interval (or the server's Retry-After when longer, at most a day), but never past
 * the moment the feed would be disabled, so it is disabled at about 3 days, not up to a day later.
 */
export function nextPollAfterFailure(input: {
  polledAt: Date;
  failures: number;
  intervalMs: number;
  firstFailureAt: string;
  retryAfterSeconds?: number | undefined;
}): string {
  const polled = input.polledAt.getTime();
  const wait = Math.max(backoffMs(input.failures, input.intervalMs), boundedServerHoldMs(input.retryAfterSeconds));
  const disableAt = Date.parse(input.firstFailureAt) + DISABLE_AFTER_MS; // NaN for a corrupt record: ignored
  const at = polled + wait;
  return isoOrNull(at > disableAt && polled < disableAt ? disableAt : at) ?? input.polledAt.toISOString();
}

/** True once a feed has been failing for about 3 days (or since a time that can't be read: fail safe, disable). */
export function shouldDisable(firstFailureAt: string | null, now: Date): boolean {
  if (firstFailureAt === null) return false;
  const since = Date.parse(firstFailureAt);
  return Number.isNaN(since) || now.getTime() - since >= DISABLE_AFTER_MS - MINUTE_MS;
}

/** Is a feed due at `at`? Disabled feeds never are; others unless max-age or backoff holds them back. */
export function isDue(record: { disabledReason: string | null; nextPollAt: string | null } | undefined, at: Date, intervalMs: number): boolean {
  if (!record) return true;
  if (record.disabledReason) return false;
  if (!record.nextPollAt) return true;
  const next = Date.parse(record.nextPollAt);
  // An unreadable time holds nothing back; a time past the longest hold (a day) is not believed either.
  if (Number.isNaN(next) || next - at.getTime() > Math.max(BACKOFF_CAP_MS, MAX_SERVER_HOLD_MS) + intervalMs) return true;
  return next - slackMs(intervalMs) <= at.getTime();
}

/** "2 minutes", "1 hour", "3 days": for replies and notices. */
export function formatDuration(ms: number): string {
  const units: Array<[number, string]> = [
    [DAY_MS, 'day'],
    [HOUR_MS, 'hour'],
    [MINUTE_MS, 'minute'],
    [1000, 'second'],
  ];
  for (const [size, name] of units) {
    if (ms >= size) {
      const n = Math.round(ms / size);
      return `${n} ${name}${n === 1 ? '' : 's'}`;
    }
  }
  return `${Math.max(0, Math.round(ms))} ms`;
}

/** The plain-words reason stored in `disabledReason` when a feed has failed for about 3 days. */
export function disabledReasonFor(lastError: string | null): string {
  return `it has failed for ${formatDuration(DISABLE_AFTER_MS)}; the last error was: ${lastError ?? 'unknown error'}`;
}
