import { describe, expect, it } from 'vitest';
import { discordTime, feedHealth } from '../../src/discord/feed-health.js';
import { blankFeedRecord } from '../../src/feeds/feed-record.js';

const now = new Date('2026-01-02T12:00:00Z');
const record = blankFeedRecord('https://example.com/feed', 'Example', null, new Date('2026-01-01T00:00:00Z'));

describe('feedHealth (what /feed status and /feed list show)', () => {
  it('names each state in one short line', () => {
    expect(feedHealth(record, now)).toEqual({ state: 'new', summary: '🆕 not polled yet' });
    expect(feedHealth({ ...record, lastSuccessAt: '2026-01-02T11:00:00Z' }, now)).toEqual({ state: 'ok', summary: '✅ healthy' });
    expect(feedHealth({ ...record, consecutiveFailures: 3, firstFailureAt: '2026-01-02T07:00:00Z' }, now).summary).toBe('⚠️ failing for 5 hours (3 failed attempts)');
    expect(feedHealth({ ...record, consecutiveFailures: 1, disabledReason: 'gone' }, now).state).toBe('disabled');
  });
});

describe('discordTime', () => {
  it('renders a Discord timestamp, or "never"', () => {
    expect(discordTime('2026-01-02T12:00:00Z')).toBe('<t:1767355200:R>');
    expect(discordTime('2026-01-02T12:00:00Z', 'f')).toBe('<t:1767355200:f>');
    expect(discordTime(null)).toBe('never');
    expect(discordTime('not a date')).toBe('never');
  });
});
