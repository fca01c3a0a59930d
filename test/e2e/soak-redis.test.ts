// The fault-injection soak on Redis (see soak.test.ts): runs when HERALD_TEST_REDIS_URL is set.
import { afterAll, describe, it } from 'vitest';
import { killStrayHeralds, soakRedisUrl } from '../harness/soak.js';
import { CASE_TIMEOUT_MS, check, REDIS, run, runWorkers, SEEDS, WORKER_SEEDS } from './soak-cases.js';

afterAll(() => {
  killStrayHeralds();
});

describe('soak on Redis: faults, SIGKILL and restart, exactly once per channel', () => {
  const redis = REDIS;
  if (redis) {
    // The soak flushes its database: database 9 of the given server (HERALD_SOAK_REDIS_DB to change it).
    for (const seed of SEEDS) {
      it(`seed ${seed} on Redis`, async () => check(await run(seed, 'redis', soakRedisUrl(redis))), CASE_TIMEOUT_MS);
    }
  } else {
    it.skip('on Redis: skipped, set HERALD_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379) to run it', () => undefined);
  }
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
