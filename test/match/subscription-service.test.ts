// SubscriptionService: the stored records, their per-guild and per-channel lists, and the index built from them.
// Real store (memory://).
import { beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { SubscriptionProblem, SubscriptionService } from '../../src/match/subscription-service.js';
import { openStore, type Store } from '../../src/repositories.js';

const clock = () => new Date('2026-11-25T08:00:00Z');

let store: Store;
let subscriptions: SubscriptionService;

beforeEach(async () => {
  store = await openStore('memory://');
  subscriptions = new SubscriptionService({ store, log: silentLogger, clock, maxPerGuild: 50 });
});

const subscribe = (guildId: string, channelId: string, queryText: string) => subscriptions.create({ guildId, channelId, queryText, userId: 'u1' });

describe('SubscriptionService lists', () => {
  it('keeps per-guild and per-channel lists in step with creates and removals', async () => {
    const a = await subscribe('g1', 'c1', 'Ukraine');
    const b = await subscribe('g1', 'c2', 'Kyiv');
    const c = await subscribe('g2', 'c9', 'Kyiv');
    expect(subscriptions.listForGuild('g1').map((s) => s.id).sort()).toEqual([a.id, b.id].sort());
    expect(subscriptions.countForGuild('g1')).toBe(2);
    expect(subscriptions.listForChannel('c9').map((s) => s.id)).toEqual([c.id]);
    await subscriptions.removeChannel('c2');
    expect(subscriptions.countForGuild('g1')).toBe(1);
    expect(subscriptions.listForChannel('c2')).toEqual([]);
    await subscriptions.remove('g2', c.id);
    expect(subscriptions.countForGuild('g2')).toBe(0);
    // a fresh service loads the same lists from the store
    const again = new SubscriptionService({ store, log: silentLogger, clock, maxPerGuild: 50 });
    await again.load();
    expect(again.listForGuild('g1').map((s) => s.id)).toEqual([a.id]);
    const matched = again.matchAlternatives({ title: 'Ukraine', summary: '', categories: [], source: '', author: '' });
    expect(matched.flatMap((q) => q.members)).toEqual([a.id]);
  });
});

describe('SubscriptionService.create', () => {
  const refusal = async (guildId: string, channelId: string, queryText: string) => {
    try {
      await subscribe(guildId, channelId, queryText);
    } catch (e) {
      expect(e).toBeInstanceOf(SubscriptionProblem);
      return e as SubscriptionProblem;
    }
    throw new Error(`${queryText} was accepted`);
  };

  it('refuses a query that does not parse, the same query twice in a channel, and more than maxPerGuild', async () => {
    expect((await refusal('g1', 'c1', '"north korea')).code).toBe('syntax');
    const first = await subscribe('g1', 'c1', 'North Korea');
    const dup = await refusal('g1', 'c1', 'north  korea');
    expect(dup.code).toBe('duplicate');
    expect(dup.message).toContain(first.id);
    await subscribe('g1', 'c2', 'North Korea'); // another channel may
    const small = new SubscriptionService({ store, log: silentLogger, clock, maxPerGuild: 1 });
    await small.create({ guildId: 'g9', channelId: 'c1', queryText: 'Kyiv', userId: 'u1' });
    await expect(small.create({ guildId: 'g9', channelId: 'c1', queryText: 'Kharkiv', userId: 'u1' })).rejects.toMatchObject({ code: 'limit' });
  });

  it('matches with structured terms: the matched alternative, its phrase tokens', async () => {
    const s = await subscribe('g1', 'c1', 'Korea*, Japan +summit');
    const matched = subscriptions.matchAlternatives({ title: 'Koreans vote', summary: '', categories: [], source: '', author: '' });
    expect(matched).toHaveLength(1);
    expect(matched[0]!.members).toEqual([s.id]);
    const [term, ...more] = matched[0]!.terms;
    expect(more).toEqual([]);
    expect(term?.kind === 'phrase' && { text: term.text, words: term.words, prefix: term.prefix }).toEqual({ text: 'korea*', words: ['korea'], prefix: true });
  });
});

describe('SubscriptionService pauses', () => {
  const item = (title: string) => ({ title, summary: '', categories: [], source: '', author: '' });
  const matchedIds = (service: SubscriptionService, title: string) => service.matchAlternatives(item(title)).flatMap((q) => q.members).sort();

  it("a paused channel's subscriptions stay listed but match nothing, across a reload, until resumed", async () => {
    const here = await subscribe('g1', 'c1', 'Kyiv');
    const there = await subscribe('g1', 'c2', 'Kyiv');
    const first = await subscriptions.pauseChannel({ guildId: 'g1', channelId: 'c1', missing: ['Send Messages'], error: '50013 Missing Permissions' });
    expect(first).toMatchObject({ created: true, pause: { channelId: 'c1', missing: ['Send Messages'], pausedAt: clock().toISOString() } });
    // a second refusal finds it paused: the caller sends no second notice
    expect((await subscriptions.pauseChannel({ guildId: 'g1', channelId: 'c1', missing: [], error: 'x' })).created).toBe(false);
    expect(matchedIds(subscriptions, 'Kyiv')).toEqual([there.id]);
    expect(subscriptions.listForChannel('c1').map((s) => s.id)).toEqual([here.id]);
    // a subscription added while paused is paused too
    const later = await subscribe('g1', 'c1', 'Odesa');
    expect(matchedIds(subscriptions, 'Odesa')).toEqual([]);

    const again = new SubscriptionService({ store, log: silentLogger, clock, maxPerGuild: 50 });
    await again.load();
    expect(again.pauseOf('c1')).toEqual(first.pause);
    expect(again.pausedInGuild('g1').map((p) => p.channelId)).toEqual(['c1']);
    expect(again.pausedInGuild('g2')).toEqual([]);
    expect(matchedIds(again, 'Kyiv')).toEqual([there.id]);

    expect(await again.resumeChannel('c1')).toEqual(first.pause);
    expect(await again.resumeChannel('c1')).toBeNull();
    expect(matchedIds(again, 'Kyiv')).toEqual([here.id, there.id].sort());
    expect(matchedIds(again, 'Odesa')).toEqual([later.id]);
    expect(await store.pausedChannels.get('c1')).toBeUndefined();
  });

  it('a deleted channel takes its pause with it', async () => {
    await subscribe('g1', 'c1', 'Kyiv');
    await subscriptions.pauseChannel({ guildId: 'g1', channelId: 'c1', missing: [], error: '50001 Missing Access' });
    await subscriptions.removeChannel('c1');
    expect(subscriptions.pauseOf('c1')).toBeUndefined();
    expect(await store.pausedChannels.get('c1')).toBeUndefined();
  });
});

describe('SubscriptionService across processes (one store, a change bus between them)', () => {
  it('applies what another process announces: created, paused, resumed and removed subscriptions', async () => {
    const announced: Array<{ kind: string; id: string }> = [];
    const here = new SubscriptionService({ store, log: silentLogger, clock, maxPerGuild: 50, changes: { publish: async (c) => void announced.push(c) } });
    const there = new SubscriptionService({ store, log: silentLogger, clock, maxPerGuild: 50 });
    await there.load();
    const item = { title: 'North Korea fires a missile', summary: '', categories: [], source: 'Wire', author: '' };

    const record = await here.create({ guildId: 'g1', channelId: 'c1', queryText: '"North Korea"', userId: 'u1' });
    expect(announced).toEqual([{ kind: 'subscription', id: record.id }]);
    expect(there.matchAlternatives(item)).toEqual([]); // not heard of yet
    await there.reloadSubscription(record.id);
    expect(there.matchAlternatives(item).flatMap((m) => m.members)).toEqual([record.id]);

    await here.pauseChannel({ guildId: 'g1', channelId: 'c1', missing: ['Send Messages'], error: '50013' });
    expect(announced.at(-1)).toEqual({ kind: 'pause', id: 'c1' });
    await there.reloadPause('c1');
    expect(there.pauseOf('c1')).toBeDefined();
    expect(there.matchAlternatives(item)).toEqual([]);
    await here.resumeChannel('c1');
    await there.reloadPause('c1');
    expect(there.matchAlternatives(item).flatMap((m) => m.members)).toEqual([record.id]);

    await here.remove('g1', record.id);
    await there.reloadSubscription(record.id);
    expect(there.listForGuild('g1')).toEqual([]);
    expect(there.matchAlternatives(item)).toEqual([]);
  });
});

describe('pausing a channel from two processes at once', () => {
  it('pauses it once: one of them is told it created the pause (and sends the one notice)', async () => {
    const one = new SubscriptionService({ store, log: silentLogger, clock, maxPerGuild: 50 });
    const two = new SubscriptionService({ store, log: silentLogger, clock, maxPerGuild: 50 });
    const input = { guildId: 'g1', channelId: 'c7', missing: ['Send Messages'], error: 'Missing Permissions (50013)' };
    const [a, b] = await Promise.all([one.pauseChannel(input), two.pauseChannel(input)]);
    expect([a.created, b.created].filter(Boolean)).toHaveLength(1);
    expect(one.pauseOf('c7')).toBeDefined();
    expect(two.pauseOf('c7')).toBeDefined();
  });
});
