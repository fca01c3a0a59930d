// The fault-injection soak (test/harness/soak.ts), short: Herald as a real process against a misbehaving fake
// Discord, killed with SIGKILL at seeded moments and restarted on the same store. Every channel must end with exactly
// the alerts its subscriptions imply: no duplicate, nothing lost. `npm run soak` runs a longer version.
//
// A failing seed reproduces with: HERALD_SOAK_SEEDS=<seed> npm run soak (same stories, faults and kill moments; the exact
// interleaving with Herald's timing can still differ between runs).
import { afterAll, describe, expect, it } from 'vitest';
import { GUILDS, killStrayHeralds, SoakWorld, tally } from '../harness/soak.js';
import { CASE_TIMEOUT_MS, check, run, SEEDS } from './soak-cases.js';

afterAll(() => {
  killStrayHeralds();
});

describe('soak on SQLite: faults, SIGKILL and restart, exactly once per channel', () => {
  for (const seed of SEEDS) {
    it(`seed ${seed} on SQLite`, async () => check(await run(seed, 'sqlite')), CASE_TIMEOUT_MS);
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
