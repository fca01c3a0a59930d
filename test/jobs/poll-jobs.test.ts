// Polling as BullMQ jobs on the real Redis (HERALD_TEST_REDIS_URL), with two "workers" (two PollJobs, each with its
// own connections, as two processes would have): both ask for each cycle's plan, one plans it, and every feed is
// polled once per cycle, by whichever worker takes its job.
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { PollJobs, queuePrefix } from '../../src/jobs/poll-jobs.js';
import { silentLogger } from '../../src/log.js';
import { redisOptions } from '../../src/store/redis-coordination.js';
import { serverBackends, testPrefix } from '../store/backends.js';

const redisBackend = serverBackends().find((b) => b.name === 'redis')!;
const REDIS = redisBackend.url;

describe.skipIf(!REDIS)('poll jobs on Redis', () => {
  const prefix = testPrefix();
  const workers: PollJobs[] = [];
  afterAll(async () => {
    for (const w of workers) await w.close();
    await redisBackend.cleanup(queuePrefix(prefix));
  });

  it('two workers asking for the same cycle: one plans it, each feed is polled once, a second ask adds nothing', async () => {
    const urls = Array.from({ length: 40 }, (_, i) => `https://feeds.example/${i}.xml`);
    const polled: string[] = [];
    const plannedBy: number[] = [];
    const clock = () => new Date('2026-12-01T12:00:00.200Z'); // both ticks land on the same cycle
    for (const id of [0, 1]) {
      const jobs = new PollJobs({
        connect: () => new Redis(REDIS!, redisOptions({ maxRetriesPerRequest: null, lazyConnect: false })),
        prefix,
        poller: {
          pollFeed: async (url: string) => {
            polled.push(url);
            return { outcome: 'unchanged', newItems: 0 };
          },
        },
        feedUrls: () => {
          plannedBy.push(id);
          return urls;
        },
        intervalMs: 120_000,
        log: silentLogger,
        clock,
      });
      workers.push(jobs);
    }
    await Promise.all(workers.map((w) => w.requestPlan({ spreadMs: 0 })));
    for (const w of workers) w.startWorker({ concurrency: 4, lockMs: 10_000 });
    const until = Date.now() + 30_000;
    while (polled.length < urls.length && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
    await workers[0]!.drained(30_000);
    expect(plannedBy).toHaveLength(1);
    expect([...polled].sort()).toEqual([...urls].sort());
    // the same cycle asked again (a late tick): the plan's id is taken, nothing more is polled
    await workers[1]!.requestPlan({ spreadMs: 0 });
    await new Promise((r) => setTimeout(r, 300));
    await workers[0]!.drained(30_000);
    expect(plannedBy).toHaveLength(1);
    expect(polled).toHaveLength(urls.length);
  }, 60_000);
});

if (!REDIS) {
  describe('poll jobs on Redis', () => {
    it.skip(redisBackend.skipReason!, () => undefined);
  });
}
