// routeItem: which channels an item goes to, from what the matcher returns. A fake matcher (its answers given per
// test) keeps these about routing only; test/alerts/compose.test.ts covers the same through the real matcher.
import { describe, expect, it } from 'vitest';
import { routeItem, type RouteDeps } from '../../src/alerts/route.js';
import type { MatchableItem } from '../../src/match/item.js';
import { exactPhrase } from '../../src/match/matched-term.js';
import type { SubscriptionRecord } from '../../src/match/records.js';

const FEED = { url: 'https://news.example/world.xml' };
const item: MatchableItem = { title: 'Drone strikes hit Kyiv', summary: '', categories: [], source: '', author: '' };

function deps(subs: Array<Pick<SubscriptionRecord, 'id' | 'guildId' | 'channelId'>>, matched: Array<{ members: string[]; terms: string[] }>, following: string[]) {
  const byId = new Map(subs.map((s) => [s.id, s as SubscriptionRecord]));
  const asked: string[] = [];
  const routeDeps: RouteDeps = {
    subscriptions: {
      get: (id) => byId.get(id),
      matchAlternatives: (_item, options) => {
        // the matcher is told which guilds follow the feed (their regexes run only on its items)
        for (const guildId of ['g1', 'g2']) if (options?.guildFollows?.(guildId)) asked.push(guildId);
        return matched.map((m) => ({ members: m.members, terms: m.terms.map((t) => exactPhrase(t, [t])) })) as never;
      },
    },
    feeds: { isFollowedBy: (guildId, url) => url === FEED.url && following.includes(guildId) },
  };
  return { routeDeps, asked };
}

describe('routeItem', () => {
  it('groups matches by channel: each subscription once, the union of terms in order', () => {
    const { routeDeps } = deps(
      [{ id: 's1', guildId: 'g1', channelId: 'c1' }, { id: 's2', guildId: 'g1', channelId: 'c1' }, { id: 's3', guildId: 'g1', channelId: 'c2' }],
      [{ members: ['s1', 's3'], terms: ['kyiv'] }, { members: ['s1', 's2'], terms: ['drone', 'kyiv'] }],
      ['g1'],
    );
    const routes = routeItem(routeDeps, FEED, item);
    expect([...routes.keys()]).toEqual(['c1', 'c2']);
    const texts = (channelId: string) => ({ ...routes.get(channelId)!, terms: routes.get(channelId)!.terms.map((t) => t.text) });
    expect(texts('c1')).toEqual({ guildId: 'g1', subscriptionIds: ['s1', 's2'], terms: ['kyiv', 'drone'] });
    expect(texts('c2')).toEqual({ guildId: 'g1', subscriptionIds: ['s3'], terms: ['kyiv'] });
  });

  it('leaves out guilds that do not follow the feed and subscriptions that are gone', () => {
    const { routeDeps, asked } = deps(
      [{ id: 's1', guildId: 'g1', channelId: 'c1' }, { id: 's9', guildId: 'g2', channelId: 'c9' }],
      [{ members: ['s1', 's9', 'removed'], terms: ['kyiv'] }],
      ['g1'],
    );
    const routes = routeItem(routeDeps, FEED, item);
    expect([...routes.keys()]).toEqual(['c1']);
    expect(asked).toEqual(['g1']);
  });

  it('routes nothing when nothing matched', () => {
    const { routeDeps } = deps([{ id: 's1', guildId: 'g1', channelId: 'c1' }], [], ['g1']);
    expect(routeItem(routeDeps, FEED, item).size).toBe(0);
  });
});
