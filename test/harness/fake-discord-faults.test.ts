// Fault injection and the nonce rule of the fake Discord, driven by discord.js's own REST client (@discordjs/rest),
// so each fault is seen exactly the way Herald sees it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscordAPIError, HTTPError, REST, RESTEvents, Routes, type RateLimitData } from 'discord.js';
import { startFakeDiscord, type FakeDiscord } from './fake-discord.js';
import { FaultInjector, type FaultPlan } from './fake-discord/faults.js';
import { NonceRegistry } from './fake-discord/nonce.js';

const TOKEN = 'faults.bot.token';
const BOT = '1500000000000000002';
const GUILD = '1600000000000000001';
const CH = ['1700000000000000001', '1700000000000000002', '1700000000000000003', '1700000000000000004', '1700000000000000005', '1700000000000000006', '1700000000000000007', '1700000000000000008'];

let fake: FakeDiscord;
const rests: REST[] = [];

beforeAll(async () => {
  fake = await startFakeDiscord({
    token: TOKEN,
    applicationId: '1500000000000000001',
    botUserId: BOT,
    guilds: [{ id: GUILD, name: 'Faults', channels: CH.map((id, i) => ({ id, name: `c${i}` })), members: [] }],
    nonceWindowMs: 400,
  });
});

afterAll(async () => {
  for (const r of rests) r.clearHashSweeper?.();
  await fake?.close();
});

/** A fresh REST client per test: a global 429 holds a whole client, and buckets must not leak between tests. */
function rest(): REST {
  const r = new REST({ api: fake.apiUrl }).setToken(TOKEN);
  rests.push(r);
  return r;
}

const post = (r: REST, channel: string, body: Record<string, unknown>) =>
  r.post(Routes.channelMessages(channel), { body: { allowed_mentions: { parse: [] }, ...body } }) as Promise<{ id: string }>;
const statuses = (channel: string) =>
  fake.requests.filter((q) => q.method === 'POST' && q.path === `/channels/${channel}/messages`).map((q) => (q.lost ? 'lost' : q.status));

describe('fault injection', () => {
  it('a 503 is retried by the client and the message lands once', async () => {
    fake.failNext(/^POST \/channels\/\d+\/messages$/, { status: 503 });
    const sent = await post(rest(), CH[0]!, { content: 'after 503' });
    expect(statuses(CH[0]!)).toEqual([503, 200]);
    expect(fake.messages(CH[0]!).map((m) => m.id)).toEqual([sent.id]);
  });

  it('500s past the client retries make the send fail, with nothing created', async () => {
    fake.failNext(/^POST \/channels\/\d+\/messages$/, { status: 500 }, 4);
    await expect(post(rest(), CH[1]!, { content: 'never' })).rejects.toBeInstanceOf(HTTPError);
    expect(statuses(CH[1]!)).toEqual([500, 500, 500, 500]);
    expect(fake.messages(CH[1]!)).toEqual([]);
  });

  it('a per-route 429 carries the headers discord.js reads; it waits, then sends once', async () => {
    const r = rest();
    const limited: RateLimitData[] = [];
    r.on(RESTEvents.RateLimited, (info) => limited.push(info));
    fake.failNext(new RegExp(`^POST /channels/${CH[2]}/messages$`), { status: 429, retryAfterSeconds: 0.15 });
    await post(r, CH[2]!, { content: 'after route 429' });
    expect(limited).toHaveLength(1);
    expect(limited[0]).toMatchObject({ global: false, scope: 'user', route: '/channels/:id/messages' });
    expect(limited[0]!.retryAfter).toBeGreaterThanOrEqual(150);
    expect(statuses(CH[2]!)).toEqual([429, 200]);
    expect(fake.messages(CH[2]!)).toHaveLength(1);
  });

  it('a global 429 says so in its headers and holds every route of the client', async () => {
    // the raw answer, as Discord sends it
    fake.failNext(new RegExp(`^POST /channels/${CH[3]}/messages$`), { status: 429, retryAfterSeconds: 0.2, global: true });
    const raw = await fetch(`${fake.apiUrl}/v10/channels/${CH[3]}/messages`, {
      method: 'POST',
      headers: { authorization: `Bot ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'x' }),
    });
    expect(raw.status).toBe(429);
    expect(Object.fromEntries(['retry-after', 'x-ratelimit-global', 'x-ratelimit-scope', 'x-ratelimit-remaining', 'x-ratelimit-reset-after', 'x-ratelimit-limit'].map((h) => [h, raw.headers.get(h)]))).toEqual({
      'retry-after': '0.2',
      'x-ratelimit-global': 'true',
      'x-ratelimit-scope': 'global',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset-after': '0.200',
      'x-ratelimit-limit': '5',
    });
    expect(raw.headers.get('x-ratelimit-bucket')).toMatch(/^[0-9a-f]{16}$/);
    expect(fake.messages(CH[3]!)).toEqual([]);

    // through discord.js: the global limit is honoured, then the send goes through once
    const r = rest();
    const limited: RateLimitData[] = [];
    r.on(RESTEvents.RateLimited, (info) => limited.push(info));
    fake.failNext(new RegExp(`^POST /channels/${CH[3]}/messages$`), { status: 429, retryAfterSeconds: 0.2, global: true });
    await post(r, CH[3]!, { content: 'after global 429' });
    expect(limited.some((l) => l.global)).toBe(true);
    expect(fake.messages(CH[3]!).map((m) => m.content)).toEqual(['after global 429']);
  });

  it('a lost answer (closed): the message IS created, the client only sees an error', async () => {
    fake.failNext(/^POST \/channels\/\d+\/messages$/, { lost: 'close' });
    const r = rest();
    const error = await post(r, CH[4]!, { content: 'lost', nonce: 'n-1', enforce_nonce: true }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(DiscordAPIError);
    expect(statuses(CH[4]!)).toEqual(['lost']); // @discordjs/rest does not retry "other side closed"
    expect(fake.messages(CH[4]!)).toHaveLength(1);
    const created = fake.messages(CH[4]!)[0]!;

    // a resend with the same nonce is answered with the message that exists: exactly once
    const hits = fake.nonceHits;
    expect((await post(r, CH[4]!, { content: 'lost', nonce: 'n-1', enforce_nonce: true })).id).toBe(created.id);
    expect(fake.nonceHits).toBe(hits + 1);
    expect(fake.messages(CH[4]!)).toHaveLength(1);
    // a resend with a new nonce is a second message: the duplicate a bot must never cause
    await post(r, CH[4]!, { content: 'lost', nonce: 'n-2', enforce_nonce: true });
    expect(fake.messages(CH[4]!)).toHaveLength(2);
  });

  it('a lost answer (reset): the client retries the same body and the nonce rule makes it exactly once', async () => {
    fake.failNext(/^POST \/channels\/\d+\/messages$/, { lost: 'reset' });
    const sent = await post(rest(), CH[5]!, { content: 'reset', nonce: 'r-1', enforce_nonce: true });
    expect(statuses(CH[5]!)).toEqual(['lost', 200]);
    expect(fake.messages(CH[5]!).map((m) => m.id)).toEqual([sent.id]);
  });

  it('a slow answer arrives late but whole', async () => {
    fake.failNext(/^POST \/channels\/\d+\/messages$/, { slowMs: 300 });
    const t0 = performance.now();
    const sent = await post(rest(), CH[6]!, { content: 'slow' });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290); // a lower bound only: it cannot be early
    expect(fake.messages(CH[6]!).map((m) => m.id)).toEqual([sent.id]);
    expect(fake.faults.events.at(-1)).toMatchObject({ kind: 'slow', method: 'POST', path: `/channels/${CH[6]}/messages` });
  });

  it('a seeded plan injects faults on matching routes only, and the client still delivers each message once', async () => {
    const r = rest();
    fake.injectFaults({ seed: 7, route: new RegExp(`^POST /channels/${CH[7]}/messages$`), rates: { '503': 0.15, '429': 0.1, slow: 0.1 }, slowMs: [5, 20], retryAfterSeconds: [0.01, 0.03] });
    try {
      for (let i = 0; i < 12; i++) await post(r, CH[7]!, { content: `m${i}`, nonce: `p-${i}`, enforce_nonce: true });
      await r.get(Routes.channel(CH[7]!)); // not matched: never faulted
    } finally {
      fake.injectFaults(null);
    }
    expect(fake.messages(CH[7]!).map((m) => m.content)).toEqual(Array.from({ length: 12 }, (_, i) => `m${i}`));
    expect(fake.faults.events.filter((e) => e.path === `/channels/${CH[7]}/messages`).length).toBeGreaterThan(0);
    expect(fake.faults.events.some((e) => e.method === 'GET')).toBe(false);
  });
});

describe('the nonce rule', () => {
  it('applies per author, channel and nonce, only with enforce_nonce, only for a few minutes, not to deleted messages', async () => {
    const r = rest();
    const [a, b] = [CH[0]!, CH[1]!];
    const first = await post(r, a, { content: '1', nonce: 'same', enforce_nonce: true });
    expect((await post(r, a, { content: '1', nonce: 'same', enforce_nonce: true })).id).toBe(first.id);
    expect((await post(r, b, { content: '1', nonce: 'same', enforce_nonce: true })).id).not.toBe(first.id); // other channel
    expect((await post(r, a, { content: '1', nonce: 'same' })).id).not.toBe(first.id); // without enforce_nonce
    // a deleted message no longer answers for its nonce
    fake.deleteMessage({ channelId: a, messageId: first.id });
    const again = await post(r, a, { content: '1', nonce: 'same', enforce_nonce: true });
    expect(again.id).not.toBe(first.id);
    // past the window (400 ms in this file) the nonce is free again
    const t0 = Date.now();
    while (Date.now() - t0 < 450) await new Promise((res) => setTimeout(res, 50));
    expect((await post(r, a, { content: '1', nonce: 'same', enforce_nonce: true })).id).not.toBe(again.id);
  });

  it('NonceRegistry: keys by author, channel and nonce; forgets after the window', () => {
    let now = 0;
    const reg = new NonceRegistry<string>(1000, () => now);
    expect(NonceRegistry.key({ nonce: 'x' }, 'u', 'c')).toBeNull();
    expect(NonceRegistry.key({ nonce: null, enforce_nonce: true }, 'u', 'c')).toBeNull();
    const k = NonceRegistry.key({ nonce: 'x', enforce_nonce: true }, 'u', 'c')!;
    expect(k).not.toBe(NonceRegistry.key({ nonce: 'x', enforce_nonce: true }, 'v', 'c'));
    reg.remember(k, 'm1');
    now = 999;
    expect(reg.find(k)).toBe('m1');
    expect(reg.find(k, () => false)).toBeUndefined();
    reg.remember(k, 'm2');
    now = 999 + 1000;
    expect(reg.find(k)).toBeUndefined();
    expect(reg.hits).toBe(1);
  });
});

describe('FaultInjector', () => {
  const plan = (seed: number): FaultPlan => ({
    seed,
    route: /^POST \/channels\/\d+\/messages$/,
    rates: { '500': 0.05, '503': 0.05, '429': 0.05, '429-global': 0.02, 'lost-close': 0.05, slow: 0.05 },
    outageRate: 0.02,
    outageLength: [4, 6],
  });
  const run = (seed: number) => {
    const f = new FaultInjector();
    f.setPlan(plan(seed));
    return Array.from({ length: 400 }, (_, i) => {
      const d = f.decide('POST', `/channels/${i % 3}/messages`, 'POST /channels/:channel/messages');
      return d === null ? '-' : d.kind === 'answer' ? String(d.reply.status) : d.kind;
    });
  };

  it('is deterministic for a seed and differs between seeds', () => {
    expect(run(1)).toEqual(run(1));
    expect(run(1)).not.toEqual(run(2));
  });

  it('draws every kind of fault, and outages of consecutive failures', () => {
    const f = new FaultInjector();
    f.setPlan(plan(3));
    for (let i = 0; i < 2000; i++) f.decide('POST', '/channels/1/messages', 'POST /channels/:channel/messages');
    expect(Object.keys(f.counts()).sort()).toEqual(['429', '429-global', '500', '503', 'lost-close', 'slow']);
    const kinds = f.events.map((e) => e.kind);
    let longest = 0;
    let run = 0;
    for (let i = 0; i < kinds.length; i++) {
      const failing = kinds[i] === '503' || kinds[i] === 'lost-close';
      run = failing && i > 0 && f.events[i - 1]!.at <= f.events[i]!.at ? run + 1 : failing ? 1 : 0;
      longest = Math.max(longest, run);
    }
    expect(longest).toBeGreaterThanOrEqual(4);
  });

  it('leaves unmatched requests alone and refuses rates over 1', () => {
    const f = new FaultInjector();
    f.setPlan({ seed: 1, route: /^POST \/channels\/\d+\/messages$/, rates: { '503': 1 } });
    expect(f.decide('GET', '/channels/1', 'GET /channels/:channel')).toBeNull();
    expect(f.decide('POST', '/channels/1/messages', 'x')).toMatchObject({ kind: 'answer', reply: { status: 503 } });
    expect(() => f.setPlan({ seed: 1, route: /x/, rates: { '503': 0.7, '500': 0.4 } })).toThrow(/add up/);
  });

  it('failNext comes before the plan and runs out after its count', () => {
    const f = new FaultInjector();
    f.failNext(/messages/, { status: 502 }, 2);
    const kinds = [0, 1, 2].map(() => f.decide('POST', '/channels/1/messages', 'x'));
    expect(kinds.map((d) => (d?.kind === 'answer' ? d.reply.status : null))).toEqual([502, 502, null]);
  });
});
