// GuildActivity: what /status counts for one server (posted today and in the last 7 days, waiting in the outbox) and
// its last send error; one record per guild, never another guild's numbers; a store failure never reaches the send.
import { beforeEach, describe, expect, it } from 'vitest';
import { GuildActivity } from '../../src/alerts/guild-activity.js';
import type { OutboxEntry } from '../../src/alerts/records.js';
import { silentLogger } from '../../src/log.js';
import { openStore, type Store } from '../../src/repositories.js';
import { StoreUnavailableError } from '../../src/store/errors.js';
import { RedisCoordination } from '../../src/store/redis-coordination.js';
import { serverBackends, testPrefix } from '../store/backends.js';

let store: Store;
let now: Date;
let activity: GuildActivity;
const clock = () => now;
const DAY = 86_400_000;

beforeEach(async () => {
  store = await openStore('memory://');
  now = new Date('2026-12-01T23:30:00Z');
  activity = new GuildActivity({ store, clock, log: silentLogger });
});

describe('GuildActivity', () => {
  it('counts posted alerts per guild by UTC day: today, and the 7 days up to today', async () => {
    await Promise.all([activity.recordPosted('g1'), activity.recordPosted('g1'), activity.recordPosted('g2')]); // concurrent: none lost
    now = new Date(now.getTime() + 60 * 60_000); // past midnight UTC: a new day
    await activity.recordPosted('g1');
    expect(await activity.summary('g1')).toMatchObject({ postedToday: 1, postedThisWeek: 3 });
    expect(await activity.summary('g2')).toMatchObject({ postedToday: 0, postedThisWeek: 1 });
    now = new Date(now.getTime() + 6 * DAY); // the first day is now 7 days back: out of the week
    expect(await activity.summary('g1')).toMatchObject({ postedToday: 0, postedThisWeek: 1 });
    await activity.recordPosted('g1');
    expect(Object.keys((await store.guildActivity.get('g1'))!.posted).sort()).toEqual(['2026-12-01', '2026-12-02', '2026-12-08']);
    // days that can no longer count (8 or more back) are dropped from the record
    now = new Date(now.getTime() + DAY);
    await activity.recordPosted('g1');
    expect(Object.keys((await store.guildActivity.get('g1'))!.posted).sort()).toEqual(['2026-12-02', '2026-12-08', '2026-12-09']);
  });

  it("keeps the guild's last error and counts its own waiting alerts only", async () => {
    await activity.recordError('g1', 'c1', 'first');
    now = new Date(now.getTime() + 1000);
    await activity.recordError('g1', null, 'second '.repeat(100));
    const entry = (key: string, guildId: string) => ({ key, guildId, channelId: 'c', createdAt: now.toISOString() }) as OutboxEntry;
    await store.outbox.set('a', entry('a', 'g1'));
    await store.outbox.set('b', entry('b', 'g2'));
    await store.outbox.set('c', entry('c', 'g1'));
    const summary = await activity.summary('g1');
    expect(summary.queued).toBe(2);
    expect(summary.lastError).toEqual({ at: now.toISOString(), channelId: null, text: 'second '.repeat(100).slice(0, 300) });
    expect(await activity.summary('g2')).toEqual({ postedToday: 0, postedThisWeek: 0, queued: 1, lastError: null });
  });

  it('a store failure is logged, never thrown: the alert it counts was posted anyway', async () => {
    const failing = new GuildActivity({
      store: { ...store, guildActivity: { ...store.guildActivity, get: async () => Promise.reject(new StoreUnavailableError('down')) } },
      clock,
      log: silentLogger,
    });
    await expect(failing.recordPosted('g1')).resolves.toBeUndefined();
    await expect(failing.recordError('g1', 'c1', 'x')).resolves.toBeUndefined();
  });
});

const redisBackend = serverBackends().find((b) => b.name === 'redis')!;

describe.skipIf(!redisBackend.url)('GuildActivity with several workers on Redis', () => {
  it('counts every alert two workers post at once for one guild (a lock in Redis per guild)', async () => {
    const prefix = testPrefix();
    const shared = await openStore(redisBackend.url!, { prefix });
    const redis = [await RedisCoordination.open(redisBackend.url!, { prefix }), await RedisCoordination.open(redisBackend.url!, { prefix })];
    try {
      const workers = redis.map((r) => new GuildActivity({ store: shared, clock, log: silentLogger, lock: r.sectionLock('activity') }));
      await Promise.all(Array.from({ length: 40 }, (_, i) => workers[i % 2]!.recordPosted('g1')));
      expect((await workers[0]!.summary('g1')).postedToday).toBe(40);
    } finally {
      for (const r of redis) await r.close();
      await shared.close();
      await redisBackend.cleanup(prefix);
    }
  });
});
