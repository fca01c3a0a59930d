// The fault-injection soak scaled out (see soak.test.ts), a file of its own so it runs beside the others: runs when
// HERALD_TEST_REDIS_URL is set.
import { afterAll, describe, it } from 'vitest';
import { killStrayHeralds, soakRedisUrl } from '../harness/soak.js';
import { CASE_TIMEOUT_MS, check, REDIS, runWorkers, WORKER_SEEDS } from './soak-cases.js';

afterAll(() => {
  killStrayHeralds();
});

// Scaled out: a gateway (it answers the setup's slash commands) and two workers (they poll and send, as BullMQ jobs)
// on one Redis database, under the same faults; each of the 3 kills SIGKILLs the worker that is sending (right after
// Discord lost its answer, for about half of them) and starts a replacement once the dead one's job locks (JOB_LOCK_MS)
// ran out, so the other worker has taken its jobs over. Still exactly once per channel.
describe('soak on Redis with two workers: a worker SIGKILLed mid-send and replaced, exactly once per channel', () => {
  const redis = REDIS;
  if (redis) {
    for (const seed of WORKER_SEEDS) {
      it(`seed ${seed} on Redis, two workers, one SIGKILLed`, async () => check(await runWorkers(seed, soakRedisUrl(redis))), CASE_TIMEOUT_MS);
    }
  } else {
    it.skip('with two workers on Redis: skipped, set HERALD_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379) to run it', () => undefined);
  }
});
