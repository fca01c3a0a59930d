// Exactly once, by construction: an alert's nonce comes from its outbox key, a queued alert is never replaced, a
// story is claimed in its channel before it is sent, and a send whose outcome is unknown is retried as it was.
// Real AlertService, SubscriptionService and store (memory://); Discord is a small fake `rest` that applies Discord's
// nonce rule (same nonce in the same channel → the message already created) and can lose an answer.
import { DiscordAPIError, Routes } from 'discord.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlertService } from '../../src/alerts/alert-service.js';
import { nonceFor } from '../../src/alerts/outbox.js';
import { blankFeedRecord } from '../../src/feeds/feed-record.js';
import type { FeedItem } from '../../src/feeds/types.js';
import { silentLogger } from '../../src/log.js';
import { SubscriptionService } from '../../src/match/subscription-service.js';
import type { OutboxEntry } from '../../src/alerts/records.js';
import { openStore, type Store } from '../../src/repositories.js';

const GUILD = 'g1';
const CHANNEL = 'c1';
const FEED_A = 'https://wire.example/world.xml';
const FEED_B = 'https://paper.example/front.xml';
const clock = () => new Date('2026-11-25T08:00:00Z');
const feedA = blankFeedRecord(FEED_A, 'Wire', 'https://wire.example/', clock());
const feedB = blankFeedRecord(FEED_B, 'Paper', 'https://paper.example/', clock());
const story: FeedItem = {
  id: 'wire-1',
  link: 'https://news.example/kyiv-drones',
  title: 'Drone strikes hit Kyiv as Ukraine braces for winter',
  summaryHtml: '<p>Air defences over the capital were busy overnight.</p>',
  author: null,
  categories: [],
  image: null,
  published: '2026-11-25T07:00:00Z',
};

type Fault = 'lose-answer' | 'fail-before-create';

/** Discord's message create, reduced to what matters here: the nonce rule and faults on demand. */
class FakeRest {
  readonly messages: Array<{ id: string; channelId: string; nonce: string | undefined }> = [];
  readonly sends: Array<{ channelId: string; nonce: string | undefined }> = [];
  readonly faults: Fault[] = [];
  private readonly byNonce = new Map<string, { id: string }>();

  post = async (route: string, options: { body: { nonce?: string; enforce_nonce?: boolean } }) => {
    const channelId = route.split('/')[2]!;
    const { nonce, enforce_nonce } = options.body;
    this.sends.push({ channelId, nonce });
    const fault = this.faults.shift();
    if (fault === 'fail-before-create') throw new Error('503 Service Unavailable');
    const nonceKey = enforce_nonce && nonce !== undefined ? `${channelId}:${nonce}` : null;
    let message = nonceKey ? this.byNonce.get(nonceKey) : undefined;
    if (!message) {
      message = { id: String(900_000 + this.messages.length) };
      this.messages.push({ id: message.id, channelId, nonce });
      if (nonceKey) this.byNonce.set(nonceKey, message);
    }
    if (fault === 'lose-answer') throw new Error('other side closed'); // created, but the answer never arrives
    return { id: message.id };
  };
  put = async () => undefined;
  patch = async () => undefined;
  delete = async () => undefined;
}

let store: Store;
let subscriptions: SubscriptionService;
let rest: FakeRest;
const services: AlertService[] = [];

function alertService(retryDelayMs = 60 * 60_000): AlertService {
  const service = new AlertService({
    store,
    subscriptions,
    feeds: { isFollowedBy: (guildId: string) => guildId === GUILD },
    rest: rest as never,
    log: silentLogger,
    clock,
    retryDelayMs,
  });
  services.push(service);
  return service;
}

async function outbox(): Promise<OutboxEntry[]> {
  const entries: OutboxEntry[] = [];
  for await (const [, entry] of store.outbox.entries()) entries.push(entry);
  return entries;
}

async function until(condition: () => Promise<boolean> | boolean): Promise<void> {
  for (let i = 0; i < 2_000 && !(await condition()); i++) await new Promise((r) => setTimeout(r, 5));
  expect(await condition()).toBe(true);
}

beforeEach(async () => {
  store = await openStore('memory://');
  subscriptions = new SubscriptionService({ store, log: silentLogger, clock, maxPerGuild: 50 });
  rest = new FakeRest();
  await subscriptions.create({ guildId: GUILD, channelId: CHANNEL, queryText: 'Kyiv', userId: 'u1' });
});
afterEach(() => {
  for (const service of services.splice(0)) service.close();
});

describe('exactly once', () => {
  it('posts one message when the answer to a send is lost and the same story then arrives from a second feed', async () => {
    const alerts = alertService();
    rest.faults.push('lose-answer');
    await alerts.handleNewItems(feedA, [story]);
    await alerts.idle();
    expect(rest.messages).toHaveLength(1); // Discord created it; Herald does not know
    expect(await outbox()).toHaveLength(1); // so it waits for its retry

    await alerts.handleNewItems(feedB, [{ ...story, id: 'paper-77' }]);
    await alerts.idle();
    await alerts.drainOutbox(); // the retry (or the next start)

    expect(rest.messages).toHaveLength(1);
    expect(new Set(rest.sends.map((s) => s.nonce)).size).toBe(1); // every send of it carried one nonce
    expect(await outbox()).toEqual([]);
    expect(await store.posted.get(`${CHANNEL}|link:${story.link}`)).toBe(rest.messages[0]!.id);
    expect(await store.alerts.get(rest.messages[0]!.id)).toMatchObject({ channelId: CHANNEL, itemId: story.id });
  });

  it('posts one message when the same story comes from another feed under another link while the first send is unresolved', async () => {
    const alerts = alertService();
    rest.faults.push('lose-answer');
    await alerts.handleNewItems(feedA, [story]);
    await alerts.idle();
    await alerts.handleNewItems(feedB, [{ ...story, id: 'paper-78', link: 'https://paper.example/2026/11/25/kyiv' }]);
    await alerts.idle();
    await alerts.drainOutbox();
    expect(rest.messages).toHaveLength(1);
    expect(await outbox()).toEqual([]);
  });

  it('retries a send whose outcome is unknown with the same nonce, and Discord answers with the message it made', async () => {
    const alerts = alertService(5);
    rest.faults.push('lose-answer', 'fail-before-create');
    await alerts.handleNewItems(feedA, [story]);
    await until(async () => (await outbox()).length === 0);
    expect(rest.sends).toHaveLength(3);
    expect(new Set(rest.sends.map((s) => s.nonce)).size).toBe(1);
    expect(rest.messages).toHaveLength(1);
    expect(await store.posted.get(`${CHANNEL}|link:${story.link}`)).toBe(rest.messages[0]!.id);
  });

  it('resends after a restart with the nonce stored in the outbox entry', async () => {
    const first = alertService();
    rest.faults.push('lose-answer');
    await first.handleNewItems(feedA, [story]);
    await first.idle();
    first.close(); // the process stops with the alert unconfirmed
    const [pending] = await outbox();
    const second = alertService(); // the next start, same store
    await second.drainOutbox();
    expect(rest.sends.map((s) => s.nonce)).toEqual([pending!.nonce, pending!.nonce]);
    expect(rest.messages).toHaveLength(1);
  });

  it('with a sender shared by processes, a poll retried after its worker died finds the alert queued and makes sure its send is queued', async () => {
    // the worker wrote the outbox entry and died before queueing its job (the job queue is played by this sender)
    const queued: string[] = [];
    const ensured: string[] = [];
    let dies = true;
    const sender = {
      send: async (entry: OutboxEntry) => {
        if (dies) throw new Error('the worker died here');
        queued.push(entry.key);
      },
      ensureQueued: async (entry: OutboxEntry) => {
        ensured.push(entry.key);
      },
      idle: async () => undefined,
      close: () => undefined,
    };
    const alerts = new AlertService({ store, subscriptions, feeds: { isFollowedBy: () => true }, rest: rest as never, log: silentLogger, clock, sender });
    await expect(alerts.handleNewItems(feedA, [story])).rejects.toThrow('the worker died here');
    const [entry] = await outbox();
    expect(entry).toBeDefined();
    dies = false;
    // the same poll job, taken over by another worker
    await alerts.handleNewItems(feedA, [story]);
    expect(queued).toEqual([]);
    expect(ensured).toEqual([entry!.key]);
    expect(await outbox()).toHaveLength(1);
  });

  it('derives the nonce from the outbox key (channel + story): the same in every compose, different per channel, at most 25 characters', async () => {
    await subscriptions.create({ guildId: GUILD, channelId: 'c2', queryText: 'Ukraine', userId: 'u1' });
    const alerts = alertService();
    const once = await alerts.compose(feedA, story);
    const again = await alerts.compose(feedB, { ...story, id: 'paper-79' });
    expect(once.map((e) => e.nonce)).toEqual(again.map((e) => e.nonce));
    expect(new Set(once.map((e) => e.nonce)).size).toBe(2);
    for (const entry of once) {
      expect(entry.nonce).toBe(nonceFor(entry.key));
      expect(entry.nonce.length).toBeLessThanOrEqual(25);
    }
  });

  it('never replaces a queued entry: the second add of the same key keeps the first', async () => {
    const alerts = alertService();
    rest.faults.push('fail-before-create');
    await alerts.handleNewItems(feedA, [story]);
    await alerts.idle();
    const [queued] = await outbox();
    expect(queued!.attempts).toBe(1);
    await alerts.handleNewItems(feedA, [story]); // e.g. a poll whose "seen" write failed re-detects it
    await alerts.idle();
    expect(await outbox()).toEqual([queued]);
  });

  it('gives back the claims of an alert that can never be sent, so the story is not blocked in that channel', async () => {
    const alerts = alertService();
    rest.post = async () => {
      throw new DiscordAPIError({ code: 50035, message: 'Invalid Form Body' }, 50035, 400, 'POST', Routes.channelMessages(CHANNEL), {});
    };
    await alerts.handleNewItems(feedA, [story]);
    await alerts.idle();
    expect(await outbox()).toEqual([]);
    expect(await store.posted.get(`${CHANNEL}|link:${story.link}`)).toBeUndefined();
  });
});

describe('a missing permission pauses the channel; its alert waits', () => {
  it('keeps the refused alert (and its claims), pauses the channel once, queues nothing new, and sends it after the resume', async () => {
    const paused: string[] = [];
    const errors: string[] = [];
    const alerts = new AlertService({
      store,
      subscriptions,
      feeds: { isFollowedBy: (guildId: string) => guildId === GUILD },
      rest: rest as never,
      log: silentLogger,
      clock,
      retryDelayMs: 60 * 60_000,
      missingPermissions: () => ['Send Messages'],
      onChannelPaused: async (pause) => void paused.push(`${pause.channelId}: ${pause.missing.join(', ')} (${pause.error})`),
      activity: { recordPosted: async () => undefined, recordError: async (_guild, _channel, text) => void errors.push(text) },
    });
    services.push(alerts);
    const send = rest.post;
    let refusals = 0;
    rest.post = async (route, options) => {
      refusals++;
      throw new DiscordAPIError({ code: 50013, message: 'Missing Permissions' }, 50013, 403, 'POST', route, options as never);
    };
    await alerts.handleNewItems(feedA, [story]);
    await alerts.idle();
    const [held] = await outbox();
    expect(held).toMatchObject({ channelId: CHANNEL, itemId: story.id, attempts: 0 });
    expect(await store.posted.get(`${CHANNEL}|link:${story.link}`)).toBe(`pending:${held!.key}`);
    expect(subscriptions.pauseOf(CHANNEL)).toMatchObject({ guildId: GUILD, missing: ['Send Messages'], error: '50013 Missing Permissions' });
    expect(paused).toEqual([`${CHANNEL}: Send Messages (50013 Missing Permissions)`]);
    expect(errors).toHaveLength(1);

    // while paused: a new matching story is not queued, a drain does not try the held one, no second notice
    await alerts.handleNewItems(feedA, [{ ...story, id: 'wire-2', link: 'https://news.example/kyiv-2', title: 'Kyiv again' }]);
    await alerts.drainOutbox();
    expect((await outbox()).map((e) => e.itemId)).toEqual([story.id]);
    expect(refusals).toBe(1);
    expect(paused).toHaveLength(1);

    // the permission is back: resume, and the held alert is posted with its own nonce
    rest.post = send;
    await subscriptions.resumeChannel(CHANNEL);
    expect(await alerts.resendChannel(CHANNEL)).toBe(1);
    await alerts.idle();
    expect(rest.messages).toEqual([{ id: expect.any(String), channelId: CHANNEL, nonce: held!.nonce }]);
    expect(await outbox()).toEqual([]);
    // and matching works again
    await alerts.handleNewItems(feedA, [{ ...story, id: 'wire-3', link: 'https://news.example/kyiv-3', title: 'Kyiv once more' }]);
    await alerts.idle();
    expect(rest.messages).toHaveLength(2);
  });
});
