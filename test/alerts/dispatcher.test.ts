// The dispatcher: a channel's sends one at a time in order, retries with a doubling delay, nothing after close, and
// what a failed send means (send-errors). The deliver step is a fake here; outbox.test.ts runs the real one.
import { DiscordAPIError } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import { Dispatcher, retryDelayMs } from '../../src/alerts/dispatcher.js';
import { MAX_SEND_ATTEMPTS } from '../../src/alerts/outbox.js';
import { classifySendError, describe as describeError } from '../../src/alerts/send-errors.js';
import { silentLogger } from '../../src/log.js';
import type { OutboxEntry } from '../../src/alerts/records.js';

const entry = (key: string, channelId = 'c1', attempts = 0): OutboxEntry => ({
  key,
  guildId: 'g1',
  channelId,
  feedUrl: 'https://news.example/world.xml',
  itemId: key,
  title: key,
  link: null,
  terms: [],
  subscriptionIds: [],
  embed: {},
  nonce: key,
  createdAt: '2026-11-25T08:00:00Z',
  attempts,
});

const dispatchers: Dispatcher[] = [];
afterEach(() => {
  for (const d of dispatchers.splice(0)) d.close();
});
function dispatcher(deliver: (e: OutboxEntry) => Promise<OutboxEntry | null>, retryDelayMs = 60 * 60_000): Dispatcher {
  const d = new Dispatcher({ deliver, log: silentLogger, retryDelayMs });
  dispatchers.push(d);
  return d;
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2_000 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(condition()).toBe(true);
}

describe('Dispatcher', () => {
  it("runs a channel's sends one at a time, in order, while other channels go on", async () => {
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const d = dispatcher(async (e) => {
      log.push(`start ${e.key}`);
      if (e.key === 'a1') await gate;
      log.push(`end ${e.key}`);
      return null;
    });
    d.send(entry('a1'));
    d.send(entry('a2'));
    d.send(entry('b1', 'c2'));
    await until(() => log.includes('end b1'));
    expect(log).not.toContain('start a2'); // waits for a1
    release();
    await d.idle();
    expect(log.indexOf('end a1')).toBeLessThan(log.indexOf('start a2'));
  });

  it('retries what deliver hands back, and what failed on the store with one more attempt', async () => {
    const seen: Array<[string, number]> = [];
    const d = dispatcher(async (e) => {
      seen.push([e.key, e.attempts]);
      if (e.key === 'store' && e.attempts === 0) throw new Error('store down');
      if (e.key === 'send' && e.attempts === 0) return { ...e, attempts: 1 };
      return null;
    }, 1);
    d.send(entry('store'));
    d.send(entry('send', 'c2'));
    await until(() => seen.length === 4);
    await d.idle();
    expect(seen.sort()).toEqual([['send', 0], ['send', 1], ['store', 0], ['store', 1]]);
  });

  it('schedules nothing after close, nor after the last attempt', async () => {
    let calls = 0;
    const d = dispatcher(async () => {
      calls++;
      throw new Error('store down');
    }, 1);
    d.send(entry('stuck', 'c1', MAX_SEND_ATTEMPTS - 1));
    await d.idle();
    d.send(entry('closing', 'c2'));
    d.close();
    await d.idle();
    await new Promise((r) => setTimeout(r, 50));
    await d.idle();
    expect(calls).toBe(2);
  });
});

describe('send errors', () => {
  const api = (code: number, status: number) => new DiscordAPIError({ code, message: 'x' }, code, status, 'POST', '/channels/c1/messages', {});
  it('tells a gone channel, a forbidden one, a refusal and an unknown outcome apart', () => {
    expect(classifySendError(api(10003, 404))).toBe('channel_gone');
    for (const code of [50001, 50013, 50008]) expect(classifySendError(api(code, 403))).toBe('forbidden');
    expect(classifySendError(api(50035, 400))).toBe('refused');
    expect(classifySendError(api(0, 503))).toBe('unknown');
    expect(classifySendError(new Error('other side closed'))).toBe('unknown');
    expect(describeError(api(50013, 403))).toBe('403 50013: x');
    expect(describeError('plain')).toBe('plain');
  });
});

describe('retry delays', () => {
  it('double from the first delay but stay within a minute, so resends land inside the nonce window', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => retryDelayMs(30_000, n))).toEqual([30_000, 60_000, 60_000, 60_000, 60_000, 60_000, 60_000]);
    expect(retryDelayMs(10, 3)).toBe(40); // tests' short delays still double
  });
});
