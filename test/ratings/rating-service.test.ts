// Votes by reaction: one vote per user per alert, the bot's own reactions and other emojis ignored, the Rating field
// edited once per burst of votes, and an alert whose message is gone forgotten. Real store (memory://); Discord is a
// small fake `rest` recording edits.
import type { APIEmbed } from 'discord.js';
import { DiscordAPIError, Routes } from 'discord.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { RATING_FIELD_NAME, ratingField, withRating } from '../../src/ratings/rating-field.js';
import { NO_RATINGS_TEXT } from '../../src/ratings/rating.js';
import { RatingService, type ReactionEvent } from '../../src/ratings/rating-service.js';
import type { AlertRecord } from '../../src/alerts/records.js';
import { openStore, type Store } from '../../src/repositories.js';

const BOT = 'bot-1';
const CHANNEL = 'c1';
const MESSAGE = 'm1';
const embed: APIEmbed = { title: 'Drone strikes hit Kyiv', fields: [{ name: 'Matched', value: '**Kyiv**', inline: true }, ratingField({ count: 0, average: null })] };
const alert: AlertRecord = {
  guildId: 'g1',
  channelId: CHANNEL,
  feedUrl: 'https://news.example/world.xml',
  itemId: 'k1',
  title: 'Drone strikes hit Kyiv',
  link: 'https://news.example/kyiv',
  terms: ['Kyiv'],
  subscriptionIds: ['s1'],
  embed,
  messageId: MESSAGE,
  postedAt: '2026-11-25T08:00:00Z',
  votes: {},
};

class FakeRest {
  readonly edits: Array<{ route: string; embed: APIEmbed; allowedMentions: unknown }> = [];
  /** An error the next edit throws. */
  fail: Error | null = null;
  patch = async (route: string, { body }: { body: { embeds: APIEmbed[]; allowed_mentions: unknown } }) => {
    if (this.fail) throw this.fail;
    this.edits.push({ route, embed: body.embeds[0]!, allowedMentions: body.allowed_mentions });
    return {};
  };
  post = async () => ({});
  put = async () => undefined;
  delete = async () => undefined;
}

let store: Store;
let rest: FakeRest;
let ratings: RatingService;

const vote = (userId: string, emoji: string | null, kind: ReactionEvent['kind'] = 'add', messageId = MESSAGE) => ratings.onReaction({ kind, messageId, channelId: CHANNEL, userId, emoji });
const ratingLine = (e: APIEmbed) => e.fields?.find((f) => f.name === RATING_FIELD_NAME)?.value;

beforeEach(async () => {
  store = await openStore('memory://');
  await store.alerts.set(MESSAGE, structuredClone(alert));
  rest = new FakeRest();
  // a long debounce: edits happen only when the test flushes them
  ratings = new RatingService({ store, rest: rest as never, log: silentLogger, botUserId: () => BOT, refreshDelayMs: 60 * 60_000 });
});
afterEach(async () => {
  await ratings.flush();
  await store.close();
});

describe('RatingService votes', () => {
  it('records one vote per user, and a new number replaces the old one', async () => {
    expect(await vote('u1', '4️⃣')).toEqual({ u1: 4 });
    expect(await vote('u2', '5️⃣')).toEqual({ u1: 4, u2: 5 });
    expect(await vote('u1', '2️⃣')).toEqual({ u1: 2, u2: 5 });
    expect((await store.alerts.get(MESSAGE))?.votes).toEqual({ u1: 2, u2: 5 });
  });

  it('withdraws a vote only when the removed number is the current one', async () => {
    await vote('u1', '4️⃣');
    await vote('u1', '2️⃣');
    expect(await vote('u1', '4️⃣', 'remove')).toEqual({ u1: 2 }); // an old number: the vote stays
    expect(await vote('u1', '2️⃣', 'remove')).toEqual({});
    expect((await store.alerts.get(MESSAGE))?.votes).toEqual({});
  });

  it("ignores the bot's own reactions, other emojis, and messages that are not alerts", async () => {
    expect(await vote(BOT, '3️⃣')).toBeNull();
    expect(await vote('u1', '👍')).toBeNull();
    expect(await vote('u1', null)).toBeNull();
    expect(await vote('u1', '3️⃣', 'add', 'not-an-alert')).toBeNull();
    expect((await store.alerts.get(MESSAGE))?.votes).toEqual({});
    await ratings.flush();
    expect(rest.edits).toEqual([]);
  });

  it('keeps every vote when many arrive at once', async () => {
    const users = Array.from({ length: 20 }, (_, i) => `u${i}`);
    await Promise.all(users.map((u, i) => vote(u, `${(i % 5) + 1}\uFE0F\u20E3`)));
    expect(Object.keys((await store.alerts.get(MESSAGE))!.votes).sort()).toEqual([...users].sort());
  });
});

describe('RatingService embed refresh', () => {
  it('edits the Rating field once per burst of votes, keeping the rest of the embed, never pinging', async () => {
    await vote('u1', '4️⃣');
    await vote('u2', '5️⃣');
    await ratings.flush();
    expect(rest.edits).toHaveLength(1);
    const [edit] = rest.edits;
    expect(edit!.route).toBe(Routes.channelMessage(CHANNEL, MESSAGE));
    expect(edit!.allowedMentions).toEqual({ parse: [] });
    expect(ratingLine(edit!.embed)).toBe('★★★★½ 4.5 · 2 votes');
    expect(edit!.embed).toEqual(withRating(embed, { count: 2, average: 4.5 }));
    expect(edit!.embed.fields![0]).toEqual(embed.fields![0]);

    await vote('u2', '5️⃣', 'remove');
    await vote('u1', '4️⃣', 'remove');
    await ratings.flush();
    expect(rest.edits).toHaveLength(2);
    expect(ratingLine(rest.edits[1]!.embed)).toBe(NO_RATINGS_TEXT);
  });

  it('forgets an alert whose message was deleted', async () => {
    await vote('u1', '4️⃣');
    rest.fail = new DiscordAPIError({ code: 10008, message: 'Unknown Message' }, 10008, 404, 'PATCH', Routes.channelMessage(CHANNEL, MESSAGE), {});
    await ratings.flush();
    expect(await store.alerts.get(MESSAGE)).toBeUndefined();
  });

  it('keeps the votes when an edit fails for another reason', async () => {
    await vote('u1', '4️⃣');
    rest.fail = new Error('socket hang up');
    await ratings.flush();
    expect((await store.alerts.get(MESSAGE))?.votes).toEqual({ u1: 4 });
  });
});
