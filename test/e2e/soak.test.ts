// The fault-injection soak (test/harness/soak.ts), short: Herald as a real process against a misbehaving fake
// Discord, killed with SIGKILL at seeded moments and restarted on the same store. Every channel must end with exactly
// the alerts its subscriptions imply: no duplicate, nothing lost. `npm run soak` runs a longer version.
//
// A failing seed reproduces with: HERALD_SOAK_SEEDS=<seed> npm run soak (same stories, faults and kill moments; the exact
// interleaving with Herald's timing can still differ between runs).
import { afterAll, describe, expect, it } from 'vitest';
import { GUILDS, killStrayHeralds, runSoak, SoakWorld, soakRedisUrl, tally, type SoakResult } from '../harness/soak.js';

const SEEDS = (process.env.HERALD_SOAK_SEEDS ?? '1,2,3').split(',').map(Number).filter(Number.isInteger);
const REDIS = process.env.HERALD_TEST_REDIS_URL;
/**
 * Generous: a case takes about 40 s (20 s of publishing, start-ups, the final drain); the run bounds its own waits
 * (the drain gives up after 180 s); this only stops a hung run on a very loaded machine.
 */
const CASE_TIMEOUT_MS = 300_000;

afterAll(() => {
  killStrayHeralds();
});

function check(result: SoakResult): void {
  console.log(`soak seed ${result.seed} ${result.backend}: ${result.line} (restarts ${result.restarts}, resends answered by nonce ${result.nonceHits}, final drain ${result.finalDrainMs} ms, faults ${JSON.stringify(result.faults)})`);
  console.log(`  Herald warnings/errors: ${JSON.stringify(result.warnings)}`);
  expect(result.crashes).toEqual([]);
  expect(result.problems).toEqual([]);
  expect(result.details).toEqual([]); // per channel: which stories were doubled, lost or unexpected (with nonces)
  expect(result.uncleanStop).toBeNull();
  expect(result.expected).toBeGreaterThan(100);
  expect(result).toMatchObject({ duplicates: 0, lost: 0, unexpected: 0, delivered: result.expected });
}

const run = (seed: number, backend: string, storeUrl?: string) =>
  runSoak({ seed, backend, storeUrl, stories: 140, publishMs: 20_000, kills: 3 });

describe('soak: faults, SIGKILL and restart, exactly once per channel', () => {
  for (const seed of SEEDS) {
    it(`seed ${seed} on SQLite`, async () => check(await run(seed, 'sqlite')), CASE_TIMEOUT_MS);
  }

  if (REDIS) {
    // The soak flushes its database: database 9 of the given server (HERALD_SOAK_REDIS_DB to change it).
    for (const seed of SEEDS) {
      it(`seed ${seed} on Redis`, async () => check(await run(seed, 'redis', soakRedisUrl(REDIS))), CASE_TIMEOUT_MS);
    }
  } else {
    it.skip('on Redis: skipped, set HERALD_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379) to run it', () => undefined);
  }
});

describe('soak: the nonce rule', () => {
  it('a crash between Discord creating the message and Herald recording it is not a duplicate: the resend carries the same nonce', async () => {
    const world = await SoakWorld.open(1000);
    try {
      await world.start();
      await world.subscribe();
      const channel = GUILDS[0]!.channels[0]!.id; // "alpha", following /f0.xml; nobody else gets this story
      const link = 'https://news.example/story/crash-1';
      world.fake.failNext(new RegExp(`^POST /channels/${channel}/messages$`), { lost: 'close' });
      world.publish('/f0.xml', { n: 1, title: 'Report crash-1: alpha update from the desk', link });
      await world.until('the lost answer', () => world.fake.requests.some((q) => q.lost), 30_000);
      expect(world.alertsOf(channel)).toHaveLength(1); // Discord has it; Herald does not know
      const hits = world.fake.nonceHits;
      const before = world.fake.requests.length;
      await world.restart();
      const resent = () => world.fake.requests.slice(before).some((q) => q.method === 'POST' && q.path === `/channels/${channel}/messages` && q.status === 200);
      await world.until('the resend', resent, 30_000);
      const polls = world.feeds.hits('/f0.xml');
      await world.until('two more polls and a quiet spell', () => world.feeds.hits('/f0.xml') >= polls + 2 && Date.now() - world.lastSendAt() > 1500, 30_000);
      const result = tally(world, new Map([[channel, new Set([link])]]));
      console.log(`soak nonce case: ${result.line}`);
      expect(result.line).toBe('expected 1, delivered 1, duplicates 0, lost 0');
      expect(world.fake.nonceHits).toBe(hits + 1); // Discord answered the resend with the message it had
      expect(world.crashes).toEqual([]);
      expect(await world.stop()).toBeNull();
      expect(world.fake.problems).toEqual([]);
    } finally {
      await world.close();
    }
  }, CASE_TIMEOUT_MS);
});
