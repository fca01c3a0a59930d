// What the soak test files share: the seeds, the case size and the checks. The SQLite and Redis runs are separate
// files so vitest runs them side by side (each case is mostly waiting on Discord's rate limits).
import { expect } from 'vitest';
import { runSoak, type SoakResult } from '../harness/soak.js';

export const SEEDS = (process.env.HERALD_SOAK_SEEDS ?? '1,2,3').split(',').map(Number).filter(Number.isInteger);
export const REDIS = process.env.HERALD_TEST_REDIS_URL;
/**
 * Generous: a case takes about 40 s (20 s of publishing, start-ups, the final drain); the run bounds its own waits
 * (the drain gives up after 180 s); this only stops a hung run on a very loaded machine.
 */
export const CASE_TIMEOUT_MS = 300_000;

export function check(result: SoakResult): void {
  console.log(`soak seed ${result.seed} ${result.backend}: ${result.line} (restarts ${result.restarts}, resends answered by nonce ${result.nonceHits}, final drain ${result.finalDrainMs} ms, faults ${JSON.stringify(result.faults)})`);
  console.log(`  Herald warnings/errors: ${JSON.stringify(result.warnings)}`);
  expect(result.crashes).toEqual([]);
  expect(result.problems).toEqual([]);
  expect(result.details).toEqual([]); // per channel: which stories were doubled, lost or unexpected (with nonces)
  expect(result.uncleanStop).toBeNull();
  expect(result.expected).toBeGreaterThan(100);
  expect(result).toMatchObject({ duplicates: 0, lost: 0, unexpected: 0, delivered: result.expected });
}

export const run = (seed: number, backend: string, storeUrl?: string) =>
  runSoak({ seed, backend, storeUrl, stories: 140, publishMs: 20_000, kills: 3 });

/** Seeds of the scale-out soak (a gateway and two workers on Redis, one worker SIGKILLed at a time). */
export const WORKER_SEEDS = (process.env.HERALD_SOAK_WORKER_SEEDS ?? '2,4').split(',').map(Number).filter(Number.isInteger);

/** The same stories and faults as `run`, on Redis, with a gateway and two workers; each kill replaces a worker. */
export const runWorkers = (seed: number, storeUrl: string) =>
  runSoak({ seed, backend: 'redis, two workers', storeUrl, topology: 'workers', stories: 140, publishMs: 20_000, kills: 3, log: (line) => console.log(line) });

