// The fault-injection soak on Redis (see soak.test.ts): runs when HERALD_TEST_REDIS_URL is set.
import { afterAll, describe, it } from 'vitest';
import { killStrayHeralds, soakRedisUrl } from '../harness/soak.js';
import { CASE_TIMEOUT_MS, check, REDIS, run, SEEDS } from './soak-cases.js';

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
