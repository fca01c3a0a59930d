// The delivery queue's rate limiter: whatever the budget, no second can see more than Discord's 50 requests.
import { describe, expect, it } from 'vitest';
import { limiterFor, requestsPerAlert } from '../../src/jobs/delivery-jobs.js';

/** The most alerts any one second can hold: the windows it touches, each full. */
const worstSecond = ({ max, duration }: { max: number; duration: number }) => max * (Math.ceil(1000 / duration) + 1);

describe('limiterFor', () => {
  it('keeps every second under Discord’s 50 requests for every budget Herald accepts (1–44), reactions on or off', () => {
    for (let budget = 1; budget <= 44; budget++) {
      for (const reactions of [true, false]) {
        const perAlert = requestsPerAlert(reactions);
        const limiter = limiterFor(Math.max(1, Math.floor(budget / perAlert)));
        expect(worstSecond(limiter) * perAlert, `budget ${budget}, reactions ${reactions}`).toBeLessThanOrEqual(50);
      }
    }
    // the default budget, 40 requests a second: 40 alerts a second without reactions, 6 with them
    expect(limiterFor(40)).toEqual({ max: 5, duration: 125 });
    expect(limiterFor(6)).toEqual({ max: 1, duration: 167 });
  });

  it('would let a second see more than 50 past 44 (why DISCORD_REQUESTS_PER_SECOND stops there)', () => {
    expect(worstSecond(limiterFor(48))).toBeGreaterThan(50);
  });
});
