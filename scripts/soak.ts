/**
 * `npm run soak`: the fault-injection soak, longer than the one in `npm test`.
 *
 *   npm run soak                          # seeds 1..5 on SQLite (and Redis when HERALD_TEST_REDIS_URL is set: one
 *                                         # process, then a gateway + two workers with workers SIGKILLed and replaced)
 *   HERALD_SOAK_WORKERS=0 npm run soak    # without the two-worker runs
 *   HERALD_SOAK_SEEDS=42 HERALD_SOAK_STORIES=600 HERALD_SOAK_PUBLISH_MS=120000 HERALD_SOAK_KILLS=10 npm run soak
 *
 * Prints one line per seed and backend (`expected N, delivered N, duplicates 0, lost 0`) and exits 1 when any run
 * had a duplicate, a lost alert, an unexpected alert, a crash or an unclean stop.
 */
import { killStrayHeralds, runSoak, soakRedisUrl, type SoakResult, type SoakTopology } from '../test/harness/soak.js';

const num = (name: string, fallback: number) => {
  const v = process.env[name];
  const n = v === undefined || v === '' ? fallback : Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number, got ${JSON.stringify(v)}`);
  return n;
};
const seeds = (process.env.HERALD_SOAK_SEEDS ?? '1,2,3,4,5').split(',').map((s) => Number(s.trim())).filter((n) => Number.isInteger(n));
const stories = num('HERALD_SOAK_STORIES', 400);
const publishMs = num('HERALD_SOAK_PUBLISH_MS', 60_000);
const kills = num('HERALD_SOAK_KILLS', 6);
const backends: { name: string; storeUrl?: string; topology?: SoakTopology }[] = [{ name: 'sqlite' }];
const redisUrl = process.env.HERALD_TEST_REDIS_URL;
if (redisUrl) {
  backends.push({ name: 'redis', storeUrl: soakRedisUrl(redisUrl) });
  if (process.env.HERALD_SOAK_WORKERS !== '0') backends.push({ name: 'redis, two workers', storeUrl: soakRedisUrl(redisUrl), topology: 'workers' });
} else console.log('redis: skipped (set HERALD_TEST_REDIS_URL to run the soak on Redis too, one process and two workers)');

let failed = false;
const results: SoakResult[] = [];
try {
  for (const backend of backends) {
    for (const seed of seeds) {
      const result = await runSoak({ seed, backend: backend.name, storeUrl: backend.storeUrl, topology: backend.topology, stories, publishMs, kills, log: (l) => console.log(`  ${l}`) });
      results.push(result);
      console.log(`seed ${seed} ${backend.name}: ${result.line} (restarts ${result.restarts}, resends answered by nonce ${result.nonceHits}, final drain ${result.finalDrainMs} ms, faults ${JSON.stringify(result.faults)})`);
      console.log(`  Herald warnings/errors: ${JSON.stringify(result.warnings)}`);
      const bad = result.duplicates || result.lost || result.unexpected || result.crashes.length || result.uncleanStop || result.problems.length;
      if (bad) {
        failed = true;
        for (const d of result.details) console.log(`  channel ${d.channel}: duplicates ${JSON.stringify(d.duplicates)} lost ${JSON.stringify(d.lost)} unexpected ${JSON.stringify(d.unexpected)}`);
        for (const c of result.crashes) console.log(`  crash: ${c}`);
        if (result.uncleanStop) console.log(`  unclean stop: ${result.uncleanStop}`);
        for (const p of result.problems) console.log(`  problem: ${p}`);
      }
    }
  }
} finally {
  killStrayHeralds();
}
process.exit(failed ? 1 : 0);
