// Delivery as BullMQ jobs on the real Redis (HERALD_TEST_REDIS_URL): a backlog of alerts in a few channels, behind the
// queue's limiter. Each alert is sent once, each channel's in the order queued, and a job behind others in its line
// sleeps until the one ahead wakes it: waiting jobs do not keep taking turns of the limiter (they did: with a few
// hundred alerts queued, the heads of the lines waited behind them and delivery fell to about one alert a second).
import { QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboxEntry } from '../../src/alerts/records.js';
import { DeliveryJobs, DELIVERY_QUEUE, deliveryJobId } from '../../src/jobs/delivery-jobs.js';
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

  it('a worker dies after its job went to sleep behind the head, before looking again: the head wakes it as it leaves', async () => {
    // The sleeper's worker is played by hand: it takes the job, the head is sent and leaves, and only then does the job
    // go to sleep (for LINE_WAIT_MS, two minutes), with no second look, as when its worker dies between the two.
    const other = testPrefix();
    const otherCoordination = await RedisCoordination.open(REDIS!, { prefix: other });
    const connect = () => new Redis(REDIS!, redisOptions({ maxRetriesPerRequest: null, lazyConnect: false }));
    const delivery = new DeliveryJobs({ connect, prefix: other, coordination: otherCoordination, outbox: store.outbox, log: silentLogger });
    const dying = new Worker(DELIVERY_QUEUE, null, { connection: connect(), prefix: queuePrefix(other), autorun: false, lockDuration: 60_000 });
    try {
      const entryFor = (key: string) => ({ key, channelId: 'c7', guildId: 'g', nonce: `n-${key}`, createdAt: new Date().toISOString(), attempts: 0 }) as unknown as OutboxEntry;
      const head = entryFor('c7|head');
      const next = entryFor('c7|next');
      // the head is in its line and the outbox, its job not yet added (the worker that wrote it died before that)
      await store.outbox.set(head.key, head);
      await otherCoordination.joinChannelLine('c7', head.key);
      await store.outbox.set(next.key, next);
      await delivery.send(next);
      const asleep = (await delivery.queue.getJob(deliveryJobId(next.key)))!;
      expect(await asleep.isDelayed()).toBe(true);
      // the dying worker takes the next job (woken early by hand, as by its timer)
      await asleep.promote();
      const token = 'dying-worker';
      const taken = await dying.getNextJob(token);
      expect(taken?.id).toBe(deliveryJobId(next.key));

      const sent: string[] = [];
      let headSent!: () => void;
      const headDone = new Promise<void>((r) => (headSent = r));
      delivery.startWorker({
        deliver: async (entry) => {
          sent.push(entry.key);
          await store.outbox.delete(entry.key);
          if (entry.key === head.key) headSent();
          return null;
        },
        alertsPerSecond: 20,
        concurrency: 2,
        lockMs: 10_000,
      });
      // the poll retried on another worker finds the head already in the outbox: its job is added now
      await delivery.ensureQueued(head);
      await delivery.ensureQueued(head); // a second call adds nothing
      await headDone;
      // The head has settled, and looks for the next job, which is running. Before the fix it found it running, left
      // it and was done at once; now it watches it, so its job is still there after a second (either way, the next
      // job is put to sleep only after the head looked).
      const headJob = deliveryJobId(head.key);
      const since = Date.now();
      while ((await delivery.queue.getJob(headJob)) && Date.now() - since < 1_000) await new Promise((r) => setTimeout(r, 20));
      // the next job goes to sleep for two minutes and its worker dies before looking again
      await taken!.moveToDelayed(Date.now() + 120_000, token);
      // woken by the head's watch, well before its two-minute sleep ends
      await delivery.drained(60_000);
      expect(sent).toEqual([head.key, next.key]);
    } finally {
      await dying.close(true);
      await delivery.closeAll();
      await otherCoordination.close();
      await redisBackend.cleanup(other);
      await redisBackend.cleanup(queuePrefix(other));
    }
  }, 90_000);
});
