// Feed-disabled notices: which channels get one, what it says (feed text escaped, never a ping), and that a channel
// refusing it does not stop the others. Discord is a small fake `rest` recording posts.
import { DiscordAPIError, Routes } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { channelPausedNotice, channelsFor, feedDisabledNotice, sendChannelPausedNotice, sendFeedDisabledNotices, type NoticeDeps } from '../../src/alerts/notices.js';
import { blankFeedRecord } from '../../src/feeds/feed-record.js';
import { silentLogger } from '../../src/log.js';
import type { FeedRecord } from '../../src/feeds/records.js';
import type { SubscriptionRecord } from '../../src/match/records.js';

const URL = 'https://news.example/world.xml';
const clock = new Date('2026-11-25T08:00:00Z');

function disabledFeed(overrides: Partial<FeedRecord> = {}): FeedRecord {
  return { ...blankFeedRecord(URL, 'World Desk', 'https://news.example/', clock), disabledReason: 'it answered 404 Not Found ten times', ...overrides };
}

/** guild → channels of its subscriptions */
function deps(subs: Record<string, string[]>, following: string[], refuse: string[] = []) {
  const posts: Array<{ route: string; body: { content: string; allowed_mentions: unknown } }> = [];
  const rest = {
    post: async (route: string, { body }: { body: { content: string; allowed_mentions: unknown } }) => {
      const channelId = route.split('/')[2]!;
      if (refuse.includes(channelId)) throw new DiscordAPIError({ code: 50013, message: 'Missing Permissions' }, 50013, 403, 'POST', route, {});
      posts.push({ route, body });
      return { id: `m-${posts.length}` };
    },
    patch: async () => undefined,
    put: async () => undefined,
    delete: async () => undefined,
  };
  const noticeDeps: NoticeDeps = {
    rest: rest as never,
    feeds: { guildsFollowing: (url, all) => [...all].filter((g) => url === URL && following.includes(g)) },
    subscriptions: { listForGuild: (guildId) => (subs[guildId] ?? []).map((channelId) => ({ guildId, channelId }) as SubscriptionRecord) },
    guildIds: () => Object.keys(subs),
    log: silentLogger,
  };
  return { noticeDeps, posts };
}

describe('channelsFor', () => {
  it('lists each channel with a subscription in a guild following the feed once', () => {
    const { noticeDeps } = deps({ g1: ['c1', 'c1', 'c2'], g2: ['c9'], g3: ['c5'] }, ['g1', 'g3']);
    expect(channelsFor(noticeDeps, URL).sort()).toEqual(['c1', 'c2', 'c5']);
    expect(channelsFor(noticeDeps, 'https://other.example/feed.xml')).toEqual([]);
  });
});

describe('feedDisabledNotice', () => {
  it('names the feed, its reason and what to do next, with feed text escaped', () => {
    const text = feedDisabledNotice(disabledFeed({ title: '**Loud** @everyone', disabledReason: 'it sent `garbage`' }));
    expect(text).toContain(URL);
    expect(text).toContain(`/feed retry url:${URL}`);
    expect(text).toContain('/feed remove');
    expect(text).not.toContain('**Loud**');
    expect(text).toContain('\\*\\*Loud\\*\\*');
  });

  it('falls back to a reason and a title when the feed has none, and stays within one message', () => {
    const text = feedDisabledNotice(disabledFeed({ title: '', disabledReason: null }));
    expect(text).toContain('**untitled**');
    expect(text).toContain('it kept failing');
    const long = feedDisabledNotice(disabledFeed({ title: 'T'.repeat(5000), disabledReason: 'r'.repeat(5000) }));
    expect(long.length).toBeLessThanOrEqual(2000);
  });
});

describe('sendFeedDisabledNotices', () => {
  it('posts one notice per channel, never pinging anyone', async () => {
    const { noticeDeps, posts } = deps({ g1: ['c1', 'c2'], g2: ['c9'] }, ['g1']);
    expect(await sendFeedDisabledNotices(noticeDeps, disabledFeed())).toBe(2);
    expect(posts.map((p) => p.route).sort()).toEqual([Routes.channelMessages('c1'), Routes.channelMessages('c2')]);
    for (const post of posts) {
      expect(post.body.allowed_mentions).toEqual({ parse: [] });
      expect(post.body.content).toBe(feedDisabledNotice(disabledFeed()));
    }
  });

  it('skips a channel that refuses the notice and still posts to the others', async () => {
    const { noticeDeps, posts } = deps({ g1: ['c1', 'c2', 'c3'] }, ['g1'], ['c2']);
    expect(await sendFeedDisabledNotices(noticeDeps, disabledFeed())).toBe(2);
    expect(posts.map((p) => p.route).sort()).toEqual([Routes.channelMessages('c1'), Routes.channelMessages('c3')]);
  });

  it('sends nothing when no guild follows the feed', async () => {
    const { noticeDeps, posts } = deps({ g1: ['c1'] }, []);
    expect(await sendFeedDisabledNotices(noticeDeps, disabledFeed())).toBe(0);
    expect(posts).toEqual([]);
  });
});

describe('channel-paused notice', () => {
  const pause = { guildId: 'g1', channelId: '42', pausedAt: clock.toISOString(), missing: ['Send Messages', 'Embed Links'], error: '50013 Missing Permissions' };

  it('names the channel, what Herald lacks and what to do; without a known gap it names what alerts need', () => {
    expect(channelPausedNotice(pause)).toBe(
      "⏸️ Herald paused the alerts for <#42>: it lacks **Send Messages and Embed Links** there. Give Herald's role Send Messages and Embed Links in <#42> (channel settings → Permissions), then run `/subscriptions resume` in <#42>. The alerts that could not be posted wait and are posted then.",
    );
    expect(channelPausedNotice({ ...pause, missing: [], error: '50001 *Missing* Access' })).toMatch(
      /^⏸️ Herald paused the alerts for <#42>: Discord refused its alerts there \(50001 \\\*Missing\\\* Access\)\. Give Herald's role View Channel, Send Messages and Embed Links in <#42>/,
    );
  });

  it('goes to the channel the server offers, without pings; with none, nothing is posted', async () => {
    const posts: Array<{ route: string; body: unknown }> = [];
    const rest = { post: async (route: string, { body }: { body: unknown }) => void posts.push({ route, body }) } as never;
    expect(await sendChannelPausedNotice({ rest, log: silentLogger, noticeChannel: (guild, except) => (guild === 'g1' && except === '42' ? '7' : null) }, pause)).toBe('7');
    expect(posts).toEqual([{ route: Routes.channelMessages('7'), body: { content: channelPausedNotice(pause), allowed_mentions: { parse: [] } } }]);
    expect(await sendChannelPausedNotice({ rest, log: silentLogger, noticeChannel: () => null }, pause)).toBeNull();
    expect(posts).toHaveLength(1);
  });
});
