// What several Herald processes share on Redis, against the real server (HERALD_TEST_REDIS_URL): each "process" here
// is its own RedisCoordination (its own connections), as separate processes would have.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RatingService, type RatedAlert } from '../../src/ratings/rating-service.js';
import { RedisCoordination } from '../../src/store/redis-coordination.js';
import type { Change } from '../../src/store/changes.js';
import { silentLogger } from '../../src/log.js';
import { serverBackends, testPrefix } from './backends.js';

const redisBackend = serverBackends().find((b) => b.name === 'redis')!;
const REDIS = redisBackend.url;

const until = async (cond: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe.skipIf(!REDIS)('Redis coordination between processes', () => {
  const prefix = testPrefix();
  let a: RedisCoordination;
  let b: RedisCoordination;

  beforeAll(async () => {
    a = await RedisCoordination.open(REDIS!, { prefix });
    b = await RedisCoordination.open(REDIS!, { prefix });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redisBackend.cleanup(prefix);
  });

  it('400 votes from two processes at once on one alert: every vote counted, each member once', async () => {
    const alert: RatedAlert = { messageId: 'm-votes', guildId: 'g', channelId: 'c', embed: { title: 'Korea' }, votes: {} };
    const alerts = { get: async () => structuredClone(alert), set: async () => undefined, addIfAbsent: async () => true, delete: async () => true, entries: async function* () {} };
    const rest = { post: async () => ({}), patch: async () => ({}), put: async () => ({}), delete: async () => ({}) };
    const service = (shared: RedisCoordination) =>
      new RatingService({ store: { alerts }, rest: rest as never, log: silentLogger, botUserId: () => 'bot', refreshDelayMs: 60_000, sharedVotes: shared });
    const [one, two] = [service(a), service(b)];
    const emoji = ['1️⃣', '2️⃣', '3️⃣', '4️⃣', '5️⃣'];
    await Promise.all(
      Array.from({ length: 400 }, (_, i) => (i % 2 ? one : two).onReaction({ kind: 'add', messageId: 'm-votes', channelId: 'c', userId: `u${i}`, emoji: emoji[i % 5]! })),
    );
    const stored = await a.votes('m-votes');
    expect(Object.keys(stored!.votes)).toHaveLength(400);
    expect(stored!.votes.u7).toBe(3);
    expect(stored!.version).toBe(400);
  });

  it('a withdrawn vote is removed only while it is still the member’s vote; votes stored before Redis are kept', async () => {
    expect(await a.setVote('m-seed', 'alice', 4, { bob: 2, carol: 5 })).toBe(true);
    expect((await b.votes('m-seed'))!.votes).toEqual({ alice: 4, bob: 2, carol: 5 });
    expect(await b.withdrawVote('m-seed', 'alice', 3)).toBe(false); // she moved on to 4
    expect(await b.withdrawVote('m-seed', 'alice', 4)).toBe(true);
    expect(await a.setVote('m-seed', 'bob', 2)).toBe(false); // already his vote
    expect((await a.votes('m-seed'))!.votes).toEqual({ bob: 2, carol: 5 });
  });

  it('claims new items atomically: of two processes claiming the same items at once, each item goes to one', async () => {
    const ids = Array.from({ length: 50 }, (_, i) => `item-${i}`);
    const [mineA, mineB] = await Promise.all([a.claimNewItems('https://feed.example/rss', ids, 'job-a', 60_000), b.claimNewItems('https://feed.example/rss', ids, 'job-b', 60_000)]);
    expect(mineA.size + mineB.size).toBe(50);
    for (const id of ids) expect(mineA.has(id) !== mineB.has(id)).toBe(true);
    // the same job, retried after its worker died, may claim its items again; another job may not
    const again = await b.claimNewItems('https://feed.example/rss', ids, 'job-a', 60_000);
    expect([...again].sort()).toEqual([...mineA].sort());
    expect((await a.claimNewItems('https://feed.example/rss', ['item-new', ...ids], 'job-c', 60_000)).size).toBe(1);
  });

  it('a channel line lets only its head through, in the order alerts joined it', async () => {
    for (const key of ['c1|one', 'c1|two', 'c1|three']) await a.joinChannelLine('c1', key);
    await b.joinChannelLine('c1', 'c1|one'); // joining twice keeps its place
    expect(await b.placeInChannelLine('c1', 'c1|three')).toEqual({ place: 2, head: 'c1|one' });
    await b.leaveChannelLine('c1', 'c1|one');
    expect(await a.placeInChannelLine('c1', 'c1|two')).toEqual({ place: 0, head: 'c1|two' });
    expect((await a.placeInChannelLine('c1', 'c1|gone')).place).toBeNull();
  });

  it('changes published by one process reach the other, never the publisher itself', async () => {
    const heardByB: Change[] = [];
    const heardByA: Change[] = [];
    await b.listen((c) => heardByB.push(c), () => undefined);
    await a.listen((c) => heardByA.push(c), () => undefined);
    await a.publish({ kind: 'subscription', id: 'sub-1' });
    await a.publish({ kind: 'guildfeeds', id: 'guild-1' });
    await until(() => heardByB.length === 2);
    expect(heardByB).toEqual([
      { kind: 'subscription', id: 'sub-1' },
      { kind: 'guildfeeds', id: 'guild-1' },
    ]);
    expect(heardByA).toEqual([]);
  });

  it('a section lock: sections of two processes on one key run one at a time, and no update is lost', async () => {
    const lockA = a.sectionLock('test');
    const lockB = b.sectionLock('test');
    let counter = 0;
    let inside = 0;
    let most = 0;
    const bump = async () => {
      inside++;
      most = Math.max(most, inside);
      const read = counter;
      await new Promise((r) => setTimeout(r, 2)); // read, wait, write: lost updates unless one at a time
      counter = read + 1;
      inside--;
    };
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? lockA : lockB).run('k', bump)));
    expect(counter).toBe(40);
    expect(most).toBe(1);
    // other keys do not wait
    let other = false;
    let release!: () => void;
    const held = lockA.run('busy', () => new Promise<void>((r) => (release = r)));
    await lockB.run('free', async () => {
      other = true;
    });
    expect(other).toBe(true);
    release();
    await held;
  });

  it('a section lock held by a process that died is taken over once it expires; waiting too long says so', async () => {
    const dying = await RedisCoordination.open(REDIS!, { prefix });
    const dyingLock = dying.sectionLock('test', { holdMs: 600 });
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    void dyingLock.run('orphan', async () => {
      entered();
      await new Promise(() => undefined); // it never finishes: its process is gone
    });
    await inside;
    // someone who will not wait that long is told why
    const impatient = b.sectionLock('test', { waitMs: 150 });
    await expect(impatient.run('orphan', async () => 'ran')).rejects.toThrow(/another Herald process held the test lock of orphan/);
    await dying.close(); // the holder's connection is gone: nobody renews the lock
    const patient = b.sectionLock('test', { waitMs: 10_000 });
    expect(await patient.run('orphan', async () => 'ran')).toBe('ran');
  });

  it('a holder whose lock expired under it (Redis unreachable for too long) hears of it', async () => {
    let lost = '';
    const lock = a.sectionLock('test', { holdMs: 300, onLost: (key) => (lost = key) });
    const raw = new Redis(REDIS!);
    try {
      await lock.run('lease', async () => {
        // the lease is gone, as after an outage longer than holdMs
        const keys = await raw.keys(`${prefix}herald:lock:test:*`);
        expect(keys).toHaveLength(1);
        await raw.del(...keys);
        await until(() => lost === 'lease');
      });
    } finally {
      raw.disconnect();
    }
  });

  it('the process roster: each process sees the others that run, until they leave', async () => {
    const leaveA = await a.joinRoster('gateway');
    const leaveB = await b.joinRoster('worker');
    expect((await a.roster()).map((e) => e.role)).toEqual(['worker']);
    expect((await b.roster()).map((e) => e.role)).toEqual(['gateway']);
    expect((await b.roster())[0]).toMatchObject({ pid: process.pid });
    await leaveB();
    expect(await a.roster()).toEqual([]);
    await leaveA();
  });

  it('IDENTIFY pacing: shards of one bucket in two processes take turns, a gap apart; another bucket does not wait', async () => {
    const GAP = 1_000;
    const waits: Array<[string, number]> = [];
    // max_concurrency 2: shards 0 and 2 share bucket 0, shard 1 has bucket 1
    const inA = a.identifyThrottler(2, { gapMs: GAP, onWait: (shard) => waits.push(['a', shard]) });
    const inB = b.identifyThrottler(2, { gapMs: GAP, onWait: (shard) => waits.push(['b', shard]) });
    const signal = new AbortController().signal;
    const done: Array<[number, number]> = [];
    const identify = (throttler: typeof inA, shard: number) => throttler.waitForIdentify(shard, signal).then(() => done.push([shard, Date.now()]));
    await identify(inA, 0);
    await Promise.all([identify(inB, 2), identify(inB, 1)]);
    // shard 2 waited out shard 0's slot (in the other process); shard 1 took its own bucket at once
    expect(waits).toEqual([['b', 2]]);
    const at = new Map(done);
    expect(at.get(2)! - at.get(0)!).toBeGreaterThanOrEqual(GAP - 50); // Redis's expiry is the clock here, ±a few ms
  });

  it('IDENTIFY pacing: a shard waiting its turn stops when discord.js gives up on it (abort)', async () => {
    const throttler = a.identifyThrottler(1, { gapMs: 30_000 });
    await throttler.waitForIdentify(7, new AbortController().signal);
    const abort = new AbortController();
    const waiting = throttler.waitForIdentify(8, abort.signal);
    abort.abort();
    await expect(waiting).rejects.toThrow(/abort/i);
  });
});

describe.skipIf(!REDIS)('Redis coordination, Redis gone', () => {
  it('IDENTIFY pacing without Redis: the process still paces its own shards, a gap apart', async () => {
    const gone = await RedisCoordination.open(REDIS!, { prefix: testPrefix() });
    await gone.close(); // every command now fails at once
    const throttler = gone.identifyThrottler(1, { gapMs: 300 });
    const signal = new AbortController().signal;
    const started = Date.now();
    const times: number[] = [];
    await Promise.all([0, 1].map((shard) => throttler.waitForIdentify(shard, signal).then(() => times.push(Date.now() - started))));
    times.sort((x, y) => x - y);
    expect(times[0]).toBeGreaterThanOrEqual(290);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(290);
  });
});

if (!REDIS) {
  describe('Redis coordination', () => {
    it.skip(redisBackend.skipReason!, () => undefined);
  });
}
