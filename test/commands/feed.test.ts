// /feed subcommands against stand-in services: what the member reads, from what the services answer.
import { describe, expect, it } from 'vitest';
import { command } from '../../commands/feed/index.js';
import { importSummary } from '../../commands/feed/import.js';
import { UserFacingError } from '../../src/errors.js';
import type { FeedRecord } from '../../src/feeds/records.js';
import type { Services } from '../../src/services.js';
import { fakeInteraction } from '../discord/fake-interaction.js';

const NOW = new Date('2026-11-25T12:00:00Z');
const URL_A = 'https://news.example/world.xml';
const URL_B = 'https://other.example/feed';

const record = (url: string, over: Partial<FeedRecord> = {}): FeedRecord => ({
  url,
  title: 'World *News*',
  siteUrl: null,
  etag: null,
  lastModified: null,
  bodyHash: null,
  addedAt: '2026-11-20T00:00:00Z',
  lastPolledAt: '2026-11-25T11:58:00Z',
  lastSuccessAt: '2026-11-25T11:58:00Z',
  lastNewItemAt: '2026-11-25T10:00:00Z',
  consecutiveFailures: 0,
  firstFailureAt: null,
  lastError: null,
  disabledReason: null,
  nextPollAt: null,
  ...over,
});

function services(records: Record<string, FeedRecord | undefined>, extra: Record<string, unknown> = {}): Services {
  const urls = Object.keys(records);
  return {
    clock: () => NOW,
    poller: { intervalMs: 120_000 },
    feeds: {
      followedBy: () => urls,
      resolveFollowed: (_guild: string, raw: string) => urls.find((u) => u === raw || u.includes(raw)) ?? null,
      record: async (url: string) => records[url],
      unfollow: async () => true,
      ...extra,
    },
  } as unknown as Services;
}

async function feed(subcommand: string, svc: Services, options: Record<string, string> = {}) {
  const { interaction, replies } = fakeInteraction({ commandName: 'feed', subcommand, options });
  await command.execute(interaction, svc);
  return replies.filter((r) => r.kind !== 'deferReply').map((r) => r.content ?? '');
}

describe('/feed status', () => {
  it('one line per followed feed; one not yet polled says so; a disabled one points at /feed retry', async () => {
    const svc = services({ [URL_A]: record(URL_A, { disabledReason: 'HTTP 404 for 3 days', consecutiveFailures: 40 }), [URL_B]: undefined });
    const [reply] = await feed('status', svc);
    expect(reply).toContain('2 feeds:');
    expect(reply).toContain(`**World \\*News\\*** ${URL_A}`); // the feed's title is escaped, never markup
    expect(reply).toContain(`• ${URL_B} — 🆕 not polled yet`);
    expect(reply).toContain('1 feed disabled: fix it, then /feed retry url:<feed>.');
  });

  it('one feed in detail, with its next poll from the poller interval when none is scheduled', async () => {
    const [reply] = await feed('status', services({ [URL_A]: record(URL_A) }), { url: 'news.example' });
    expect(reply).toContain(`**World \\*News\\*** <${URL_A}>`);
    expect(reply).toContain('Last error: none');
    expect(reply).toContain('Next poll: in the next poll cycle (every 2 minutes)');
  });

  it('a feed this server does not follow is refused with the next step', async () => {
    await expect(feed('status', services({ [URL_A]: record(URL_A) }), { url: 'https://elsewhere.example/' })).rejects.toThrow(
      new UserFacingError("This server doesn't follow \"https://elsewhere.example/\". /feeds list shows the feeds it follows."),
    );
  });
});

describe('/feed remove', () => {
  it('stops following the feed the member means, and says subscriptions stay', async () => {
    const unfollowed: string[] = [];
    const svc = services({ [URL_A]: record(URL_A) }, { unfollow: async (_g: string, url: string) => (unfollowed.push(url), true) });
    expect(await feed('remove', svc, { url: 'news.example' })).toEqual([`Stopped following ${URL_A}. Subscriptions stay; they match the remaining feeds.`]);
    expect(unfollowed).toEqual([URL_A]);
  });
});

describe('/feed import summary', () => {
  it('counts first, the next step last, even when the failures fill the message', () => {
    const failed = Array.from({ length: 60 }, (_, i) => ({ url: `https://dead${i}.example/feed`, reason: 'HTTP 404 '.repeat(5) }));
    const text = importSummary('list.opml', { added: 2, already: 1, failed, overLimit: 0, stopped: 0 }, 50);
    expect(text.length).toBeLessThanOrEqual(2000);
    expect(text.startsWith('Imported list.opml: added 2, already followed 1, failed 60.')).toBe(true);
    expect(text.endsWith('Fix or drop the failed feeds and import again (feeds already followed are skipped).')).toBe(true);
  });
});
