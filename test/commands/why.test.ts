// /why against stand-in services: it asks the feed service for recent items and the alert service for the posted
// alert (it never reads the store), and answers with the message link or the reasons per subscription.
import { describe, expect, it } from 'vitest';
import { command } from '../../commands/why.js';
import type { Services } from '../../src/services.js';
import { fakeInteraction } from '../discord/fake-interaction.js';

const LINK = 'https://news.example/korea-summit';
const item = { id: 'k1', title: 'Korea summit ends', link: LINK, summary: 'Leaders met.', published: '2026-11-25T09:00:00Z', categories: [], author: null, image: null };
const feed = { url: 'https://news.example/world.xml', title: 'World', siteUrl: null };

function services(posted: { messageId: string; alert?: { terms: string[] } } | null): Services {
  return {
    feeds: { followedBy: () => [feed.url], recentItems: async () => [{ feed, item }] },
    alerts: { postedAlert: async (channelId: string, asked: { id: string }) => (channelId === '200' && asked.id === 'k1' ? posted : null) },
    subscriptions: { listForChannel: () => [] },
  } as unknown as Services;
}

async function why(svc: Services, url: string) {
  const { interaction, replies } = fakeInteraction({ commandName: 'why', options: { url } });
  await command.execute(interaction, svc);
  return replies.filter((r) => r.kind !== 'deferReply').map((r) => r.content ?? '');
}

describe('/why', () => {
  it('a posted story: the link to its message and the terms it matched', async () => {
    expect(await why(services({ messageId: '900', alert: { terms: ['Korea'] } }), `<${LINK}/>`)).toEqual([
      'It was posted here (matched Korea): https://discord.com/channels/100/200/900',
    ]);
  });

  it('a story seen but not posted, in a channel without subscriptions: says so and what to do', async () => {
    expect(await why(services(null), LINK)).toEqual(['**Korea summit ends** (World) was seen, but this channel has no subscriptions. Add one with /subscribe.']);
  });

  it('a link no followed feed carries', async () => {
    const [reply] = await why(services(null), 'https://elsewhere.example/story');
    expect(reply).toMatch(/^Herald hasn't seen that story in the latest items of this server's 1 feed:/);
  });
});
