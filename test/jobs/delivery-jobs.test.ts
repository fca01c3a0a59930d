// Delivery as BullMQ jobs on the real Redis (HERALD_TEST_REDIS_URL): a backlog of alerts in a few channels, behind the
// queue's limiter. Each alert is sent once, each channel's in the order queued, and a job behind others in its line
// sleeps until the one ahead wakes it: waiting jobs do not keep taking turns of the limiter (they did: with a few
// hundred alerts queued, the heads of the lines waited behind them and delivery fell to about one alert a second).
import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboxEntry } from '../../src/alerts/records.js';
import { DeliveryJobs, DELIVERY_QUEUE } from '../../src/jobs/delivery-jobs.js';
import { queuePrefix } from '../../src/jobs/poll-jobs.js';
import { silentLogger } from '../../src/log.js';
import { openStore, type Store } from '../../src/repositories.js';
import { RedisCoordination, redisOptions } from '../../src/store/redis-coordination.js';
import { serverBackends, testPrefix } from '../store/backends.js';

const redisBackend = serverBackends().find((b) => b.name === 'redis')!;
const REDIS = redisBackend.url;

describe.skipIf(!REDIS)('delivery jobs on Redis', () => {
  const prefix = testPrefix();
  let store: Store;
  let coordination: RedisCoordination;
  let jobs: DeliveryJobs;
  let events: QueueEvents;

  beforeAll(async () => {
    store = await openStore('memory://');
    coordination = await RedisCoordination.open(REDIS!, { prefix });
    const connect = () => new Redis(REDIS!, redisOptions({ maxRetriesPerRequest: null, lazyConnect: false }));
    jobs = new DeliveryJobs({ connect, prefix, coordination, outbox: store.outbox, log: silentLogger });
    events = new QueueEvents(DELIVERY_QUEUE, { connection: connect(), prefix: queuePrefix(prefix) });
    await events.waitUntilReady();
  });
  afterAll(async () => {
    await events?.close();
    await jobs?.closeAll();
    await coordination?.close();
    await store?.close();
    await redisBackend.cleanup(prefix);
    await redisBackend.cleanup(queuePrefix(prefix));
  });

  it('a backlog in three channels: each alert sent once, in order per channel, and each job taken about once', async () => {
    const channels = ['c1', 'c2', 'c3'];
    const perChannel = 20;
    let taken = 0;
    events.on('active', () => taken++);
    const sent = new Map<string, string[]>(channels.map((c) => [c, []]));
    jobs.startWorker({
      // a short wait in Discord, then the alert is settled (deliverEntry deletes the entry once posted)
      deliver: async (entry) => {
        await new Promise((r) => setTimeout(r, 5));
        sent.get(entry.channelId)!.push(entry.key);
        await store.outbox.delete(entry.key);
        return null;
      },
      alertsPerSecond: 20,
      concurrency: 4,
      lockMs: 10_000,
    });
    const queued = new Map<string, string[]>(channels.map((c) => [c, []]));
    for (let n = 0; n < perChannel; n++) {
      for (const channelId of channels) {
        const key = `${channelId}|story-${n}`;
        const entry = { key, channelId, guildId: 'g', nonce: `n-${key}`, createdAt: new Date().toISOString(), attempts: 0 } as unknown as OutboxEntry;
        await store.outbox.set(key, entry);
        await jobs.send(entry);
        queued.get(channelId)!.push(key);
      }
    }
    // Jobs behind others sleep LINE_WAIT_MS (two minutes): only wake-ups get this done before the guard below.
    await jobs.drained(100_000);
    for (const channelId of channels) expect(sent.get(channelId)).toEqual(queued.get(channelId));
    // about one turn per alert (a few more when a wake-up races a look); it was several times that
    expect(taken).toBeLessThan(channels.length * perChannel * 1.5);
  }, 150_000);

  it('a send that fails steps out of its channel’s line while it waits for its retry; the next alert goes first', async () => {
    const other = testPrefix();
    const otherCoordination = await RedisCoordination.open(REDIS!, { prefix: other });
    const connect = () => new Redis(REDIS!, redisOptions({ maxRetriesPerRequest: null, lazyConnect: false }));
    const delivery = new DeliveryJobs({ connect, prefix: other, coordination: otherCoordination, outbox: store.outbox, log: silentLogger });
    try {
      const sent: string[] = [];
      let failures = 0;
      delivery.startWorker({
        deliver: async (entry) => {
          if (entry.key === 'c9|first' && failures++ === 0) return { ...entry, attempts: 1 }; // a 5xx: try again later
          sent.push(entry.key);
          await store.outbox.delete(entry.key);
          return null;
        },
        alertsPerSecond: 20,
        concurrency: 2,
        lockMs: 10_000,
        retryDelayMs: 1_000,
      });
      for (const key of ['c9|first', 'c9|second', 'c9|third']) {
        const entry = { key, channelId: 'c9', guildId: 'g', nonce: `n-${key}`, createdAt: new Date().toISOString(), attempts: 0 } as unknown as OutboxEntry;
        await store.outbox.set(key, entry);
        await delivery.send(entry);
      }
      await delivery.drained(60_000);
      expect(sent).toEqual(['c9|second', 'c9|third', 'c9|first']);
      expect(failures).toBe(2);
    } finally {
      await delivery.closeAll();
      await otherCoordination.close();
      await redisBackend.cleanup(other);
      await redisBackend.cleanup(queuePrefix(other));
    }
  }, 90_000);
});
