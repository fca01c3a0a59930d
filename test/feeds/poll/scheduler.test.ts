import { describe, expect, it } from 'vitest';
import {
  backoffMs,
  cronPeriodMs,
  DAY_MS,
  DISABLE_AFTER_MS,
  formatDuration,
  isDue,
  MAX_SERVER_HOLD_MS,
  jitterMs,
  MINUTE_MS,
  nextPollAfterFailure,
  nextPollAfterSuccess,
  shouldDisable,
  slackMs,
  stableFraction,
} from '../../../src/feeds/poll/scheduler.js';

const T0 = new Date('2026-11-25T10:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

describe('cronPeriodMs', () => {
  it('is the smallest gap between the cron runs', () => {
    expect(cronPeriodMs('*/2 * * * *')).toBe(2 * MINUTE_MS);
    expect(cronPeriodMs('*/30 * * * * *')).toBe(30_000);
    expect(cronPeriodMs('0 * * * *')).toBe(60 * MINUTE_MS);
    expect(cronPeriodMs('0 9 * * 1-5')).toBe(DAY_MS);
  });

  it('falls back for an expression it cannot read', () => {
    expect(cronPeriodMs('not a cron', 7_000)).toBe(7_000);
  });
});

describe('jitter', () => {
  it('is stable per URL, spread over [0, spread) and different between URLs', () => {
    const url = 'https://feeds.example/world.xml';
    expect(jitterMs(url, 90_000)).toBe(jitterMs(url, 90_000));
    const offsets = Array.from({ length: 2000 }, (_, i) => jitterMs(`https://feeds.example/${i}.xml`, 90_000));
    expect(Math.min(...offsets)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...offsets)).toBeLessThan(90_000);
    // Roughly uniform: every tenth of the window gets a fair share.
    const buckets = new Array(10).fill(0);
    for (const o of offsets) buckets[Math.floor(o / 9_000)]++;
    for (const b of buckets) expect(b).toBeGreaterThan(120);
    expect(new Set(offsets).size).toBeGreaterThan(1900);
  });

  it('is zero without a spread window', () => {
    expect(jitterMs('https://x.example/', 0)).toBe(0);
    expect(stableFraction('')).toBeGreaterThanOrEqual(0);
  });
});

describe('backoff', () => {
  it('starts at the interval, doubles and caps at a day', () => {
    const two = 2 * MINUTE_MS;
    expect([1, 2, 3, 4].map((n) => backoffMs(n, two))).toEqual([two, 2 * two, 4 * two, 8 * two]);
    expect(backoffMs(11, two)).toBe(DAY_MS);
    expect(backoffMs(500, two)).toBe(DAY_MS);
  });

  it('schedules the next attempt after a failure, never past the moment the feed would be disabled', () => {
    const first = T0.toISOString();
    expect(nextPollAfterFailure({ polledAt: T0, failures: 1, intervalMs: 2 * MINUTE_MS, firstFailureAt: first })).toBe(at(2 * MINUTE_MS).toISOString());
    // Retry-After longer than the backoff wins.
    expect(nextPollAfterFailure({ polledAt: T0, failures: 1, intervalMs: 2 * MINUTE_MS, firstFailureAt: first, retryAfterSeconds: 600 })).toBe(
      at(10 * MINUTE_MS).toISOString(),
    );
    // 2.5 days in, a one-day wait would overshoot the 3-day mark: the next attempt is at the mark.
    const late = at(2.5 * DAY_MS);
    expect(nextPollAfterFailure({ polledAt: late, failures: 20, intervalMs: 2 * MINUTE_MS, firstFailureAt: first })).toBe(at(DISABLE_AFTER_MS).toISOString());
  });

  it('disables after about three days of failure', () => {
    expect(shouldDisable(null, at(10 * DAY_MS))).toBe(false);
    expect(shouldDisable(T0.toISOString(), at(2 * DAY_MS))).toBe(false);
    expect(shouldDisable(T0.toISOString(), at(DISABLE_AFTER_MS))).toBe(true);
    expect(shouldDisable(T0.toISOString(), at(DISABLE_AFTER_MS - 10_000))).toBe(true);
  });
});

describe('max-age and due times', () => {
  it('holds a feed back for its max-age, else not at all', () => {
    expect(nextPollAfterSuccess(T0, 600)).toBe(at(600_000).toISOString());
    expect(nextPollAfterSuccess(T0, 0)).toBeNull();
    expect(nextPollAfterSuccess(T0, null)).toBeNull();
  });

  it('is due with no record, no nextPollAt, or once nextPollAt has come (with a few seconds of slack)', () => {
    const interval = 2 * MINUTE_MS;
    expect(isDue(undefined, T0, interval)).toBe(true);
    expect(isDue({ disabledReason: null, nextPollAt: null }, T0, interval)).toBe(true);
    const next = at(10 * MINUTE_MS).toISOString();
    expect(isDue({ disabledReason: null, nextPollAt: next }, at(5 * MINUTE_MS), interval)).toBe(false);
    expect(isDue({ disabledReason: null, nextPollAt: next }, at(10 * MINUTE_MS - 1_000), interval)).toBe(true);
    expect(isDue({ disabledReason: null, nextPollAt: next }, at(10 * MINUTE_MS + 1), interval)).toBe(true);
    expect(isDue({ disabledReason: 'broken', nextPollAt: null }, at(DAY_MS), interval)).toBe(false);
    expect(slackMs(30_000)).toBe(3_000);
  });

  it('formats durations for people', () => {
    expect(formatDuration(2 * MINUTE_MS)).toBe('2 minutes');
    expect(formatDuration(DISABLE_AFTER_MS)).toBe('3 days');
    expect(formatDuration(60 * MINUTE_MS)).toBe('1 hour');
    expect(formatDuration(30_000)).toBe('30 seconds');
  });
});

describe('every time computation bounded (issue 8, finding 12)', () => {
  const first = T0.toISOString();
  it('a huge, infinite or NaN Retry-After waits at most a day, never throws', () => {
    for (const retryAfterSeconds of [99999999999999999999, Number.MAX_VALUE, Infinity, NaN, -5]) {
      const next = nextPollAfterFailure({ polledAt: T0, failures: 1, intervalMs: 2 * MINUTE_MS, firstFailureAt: first, retryAfterSeconds });
      expect(Date.parse(next) - T0.getTime()).toBeLessThanOrEqual(MAX_SERVER_HOLD_MS);
    }
    // Three days in, past the disable mark: this threw RangeError: Invalid time value.
    const late = at(DISABLE_AFTER_MS + MINUTE_MS);
    expect(() => nextPollAfterFailure({ polledAt: late, failures: 30, intervalMs: 2 * MINUTE_MS, firstFailureAt: first, retryAfterSeconds: 99999999999999999999 })).not.toThrow();
    expect(shouldDisable(first, late)).toBe(true);
  });

  it('a huge max-age holds a feed back at most a day', () => {
    for (const maxAge of [99999999999999999999, Infinity]) {
      expect(nextPollAfterSuccess(T0, maxAge)).toBe(at(MAX_SERVER_HOLD_MS).toISOString());
    }
    expect(nextPollAfterSuccess(T0, NaN)).toBeNull();
  });

  it('a stored time that cannot be read, or lies beyond any hold, does not stop polling', () => {
    expect(isDue({ disabledReason: null, nextPollAt: 'garbage' }, T0, 2 * MINUTE_MS)).toBe(true);
    expect(isDue({ disabledReason: null, nextPollAt: '+275760-09-13T00:00:00.000Z' }, T0, 2 * MINUTE_MS)).toBe(true);
    expect(isDue({ disabledReason: null, nextPollAt: at(DAY_MS).toISOString() }, T0, 2 * MINUTE_MS)).toBe(false);
    expect(nextPollAfterFailure({ polledAt: T0, failures: 1, intervalMs: 2 * MINUTE_MS, firstFailureAt: 'garbage' })).toBe(at(2 * MINUTE_MS).toISOString());
  });
});
