// composeAlert: one channel's outbox entry, pure: its key and derived nonce, the terms as the story spells them,
// the highlighted headline and summary, and no votes yet.
import { describe, expect, it } from 'vitest';
import { composeAlert } from '../../src/alerts/compose.js';
import { asWritten } from '../../src/match/highlight.js';
import { matchedTerm, type MatchedTerm } from '../../src/match/matched-term.js';
import { parseQuery } from '../../src/match/query.js';
import { nonceFor } from '../../src/alerts/outbox.js';
import { storyKeys } from '../../src/alerts/story-keys.js';
import { blankFeedRecord } from '../../src/feeds/feed-record.js';
import type { FeedItem } from '../../src/feeds/types.js';
import { NO_RATINGS_TEXT } from '../../src/ratings/rating.js';

const now = new Date('2026-11-25T08:00:00Z');
const feed = blankFeedRecord('https://news.example/world.xml', 'World Desk', 'https://news.example/', now);
const item: FeedItem = {
  id: 'k1',
  link: 'https://news.example/kyiv',
  title: 'Drone strikes hit Kyiv as North Korea watches',
  summaryHtml: '<p>Air defences over Kyiv were busy overnight.</p>',
  author: null,
  categories: [],
  image: null,
  published: '2026-11-25T07:00:00Z',
};
const summary = 'Air defences over Kyiv were busy overnight.';
/** The term a one-term query matches on. */
function term(text: string): MatchedTerm {
  const parsed = parseQuery(text);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return matchedTerm(parsed.query.alternatives[0]!.terms[0]!);
}

describe('composeAlert', () => {
  it('builds the entry for one channel: key, derived nonce, terms as written, highlights, no votes', () => {
    const keys = storyKeys(item);
    const entry = composeAlert({ feed, item, channelId: 'c1', route: { guildId: 'g1', subscriptionIds: ['s1', 's2'], terms: [term('kyiv'), term('north korea')] }, summary, storyKeys: keys, now });
    expect(entry.key).toBe(`c1|${keys[0]}`);
    expect(entry.nonce).toBe(nonceFor(entry.key));
    expect(entry.nonce).toHaveLength(25);
    expect(entry).toMatchObject({ guildId: 'g1', channelId: 'c1', feedUrl: feed.url, itemId: 'k1', title: item.title, link: item.link, subscriptionIds: ['s1', 's2'], attempts: 0, createdAt: now.toISOString() });
    expect(entry.terms).toEqual(['Kyiv', 'North Korea']);
    expect(entry.embed.title).toBe('Drone strikes hit **Kyiv** as **North Korea** watches');
    expect(entry.embed.description).toBe('Air defences over **Kyiv** were busy overnight.');
    expect(entry.embed.fields?.map((f) => f.value)).toEqual(['**Kyiv**, **North Korea**', NO_RATINGS_TEXT]);
  });

  it('gives the same story in the same channel the same key and nonce, and another channel a different one', () => {
    const draft = { feed, item, route: { guildId: 'g1', subscriptionIds: ['s1'], terms: [term('kyiv')] }, summary, storyKeys: storyKeys(item), now };
    const a = composeAlert({ ...draft, channelId: 'c1' });
    const again = composeAlert({ ...draft, channelId: 'c1', item: { ...item, id: 'other-feed-id' }, now: new Date('2026-11-26T00:00:00Z') });
    const b = composeAlert({ ...draft, channelId: 'c2' });
    expect(again.key).toBe(a.key);
    expect(again.nonce).toBe(a.nonce);
    expect(b.nonce).not.toBe(a.nonce);
  });
});

describe('asWritten', () => {
  it("uses the story's spelling from the first text that shows the term, else the term", () => {
    expect(asWritten(term('north korea'), 'Talks with NORTH KOREA', 'north korea again').text).toBe('NORTH KOREA');
    expect(asWritten(term('kyiv'), 'no match here', 'Kyiv at night').text).toBe('Kyiv');
    expect(asWritten(term('moscow'), 'no match here').text).toBe('moscow');
  });
});
