// Article summaries end to end: a matching item whose feed gives only a title and a link is posted with the lead of
// its article page (served locally, with navigation, a cookie banner, a byline and a timestamp around the story) and
// the page's og:image; an item with its own summary, and an item nobody subscribed to, cause no article request.
import { PermissionFlagsBits } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { startFakeDiscord, type FakeDiscord } from '../harness/fake-discord.js';
import { rssFeed, startFeedServer, type FeedServer } from '../harness/feed-server.js';
import { until } from '../harness/until.js';

const TOKEN = 'articles-e2e-token';
const GUILD = '130000000000000001';
const DESK = '230000000000000001';
const ADMIN = '330000000000000001';

const LEAD = 'The old swing bridge over the river reopened to traffic on Monday after eight months of repairs.';
const SECOND = 'Engineers replaced the deck and the turning gear, and the city says the work came in under budget.';
const articlePage = (imagePath: string) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Bridge reopens | City News</title>
<meta property="og:image" content="${imagePath}"></head><body>
<header><a href="#main">Skip to content</a><nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li><li><a href="/weather">Weather</a></li></ul></nav></header>
<div id="cookie-banner"><p>We use cookies to improve your experience.</p><button>Accept all cookies</button></div>
<main id="main"><article>
  <h1>Harbour bridge reopens after repairs</h1>
  <p class="byline">By Jane Doe, City Reporter</p>
  <p><time datetime="2026-11-25T13:39:00Z">1:39 PM ET</time></p>
  <figure><img src="/img/inline.jpg" alt=""><figcaption>Photo: City News</figcaption></figure>
  <p>${LEAD}</p>
  <p>${SECOND}</p>
  <p>Traffic on the two other crossings, which carried the diverted cars all summer, is expected to return to normal by the weekend.</p>
  <div class="share-tools"><a href="#">Share on Facebook</a> <a href="#">Twitter</a> <a href="#">Email</a></div>
</article></main>
<footer><p>© City News. All rights reserved.</p><nav><a href="/about">About us</a></nav></footer></body></html>`;

let discord: FakeDiscord;
let feeds: FeedServer;
let app: App;
const alerts = () => discord.messages(DESK).filter((m) => m.embeds.length > 0);
const run = (name: string, options: Record<string, unknown>, subcommand?: string) => discord.runCommand({ guildId: GUILD, channelId: DESK, userId: ADMIN, name, subcommand, options });

beforeAll(async () => {
  feeds = await startFeedServer();
  feeds.set('/city.xml', rssFeed({ title: 'City News', link: feeds.url('/'), items: [{ title: 'Yesterday in the harbour', guid: 'old', link: feeds.url('/story/old') }] }), { contentType: 'application/rss+xml' });
  feeds.set('/story/bridge', articlePage(feeds.url('/img/bridge.jpg')), { contentType: 'text/html; charset=utf-8' });
  feeds.set('/story/festival', articlePage(feeds.url('/img/festival.jpg')), { contentType: 'text/html; charset=utf-8' });
  feeds.set('/story/weather', articlePage(feeds.url('/img/weather.jpg')), { contentType: 'text/html; charset=utf-8' });
  discord = await startFakeDiscord({
    token: TOKEN,
    applicationId: '430000000000000001',
    botUserId: '430000000000000002',
    guilds: [{ id: GUILD, name: 'City', channels: [{ id: DESK, name: 'desk' }], members: [{ id: ADMIN, username: 'admin', permissions: PermissionFlagsBits.Administrator }] }],
  });
  // Articles are served by the local server, so private addresses are allowed (FETCH_ARTICLES is on by default).
  const config = loadConfig({ DISCORD_TOKEN: TOKEN, DISCORD_API_URL: discord.apiUrl, GUILD_ID: GUILD, STORE_URL: 'memory://', ALLOW_PRIVATE_ADDRESSES: 'true', LOG_LEVEL: 'silent' });
  expect(config.fetchArticles).toBe(true);
  app = await startApp({ config, schedulePolling: false });
  expect((await run('feed', { url: feeds.url('/city.xml') }, 'add')).content).toMatch(/Following/);
  expect((await run('subscribe', { query: 'harbour' })).content).toMatch(/Subscribed/);
});

afterAll(async () => {
  await app?.stop();
  await discord?.close();
  await feeds?.close();
});

describe('article summaries', () => {
  it('a title-only item is posted with its article lead and og:image; own summaries and unmatched items fetch nothing', async () => {
    feeds.set(
      '/city.xml',
      rssFeed({
        title: 'City News',
        link: feeds.url('/'),
        items: [
          { title: 'Harbour bridge reopens after repairs', guid: 'bridge', link: feeds.url('/story/bridge') },
          { title: 'Harbour festival draws record crowds', guid: 'festival', link: feeds.url('/story/festival'), description: 'More than 40,000 people came to the waterfront for the three-day festival, organisers said.' },
          { title: 'Weather: rain all week', guid: 'weather', link: feeds.url('/story/weather') },
          { title: 'Yesterday in the harbour', guid: 'old', link: feeds.url('/story/old') },
        ],
      }),
      { contentType: 'application/rss+xml' },
    );
    await app.pollNow();
    await until(() => alerts().length === 2, 'two alerts', 20_000);

    const bridge = alerts().find((m) => m.embeds[0].url === feeds.url('/story/bridge'))!;
    expect(bridge).toBeDefined();
    const embed = bridge.embeds[0];
    expect(embed.description).toBe(`${LEAD} ${SECOND} Traffic on the two other crossings, which carried the diverted cars all summer, is expected to return to normal by the weekend.`);
    expect(embed.description).not.toMatch(/Skip to|Home|cookies|Jane Doe|1:39|Photo|Share|Facebook/);
    expect(embed.thumbnail?.url).toBe(feeds.url('/img/bridge.jpg'));
    expect(feeds.hits('/story/bridge')).toBe(1);

    const festival = alerts().find((m) => m.embeds[0].url === feeds.url('/story/festival'))!;
    expect(festival.embeds[0].description).toBe('More than 40,000 people came to the waterfront for the three-day festival, organisers said.');
    // its own summary: no article request; the unmatched weather item: none either
    expect(feeds.hits('/story/festival')).toBe(0);
    expect(feeds.hits('/story/weather')).toBe(0);
  }, 60_000);

  it('a new item for a story already posted here fetches nothing (the duplicate check comes first)', async () => {
    feeds.set(
      '/city.xml',
      rssFeed({ title: 'City News', link: feeds.url('/'), items: [{ title: 'Harbour bridge: what changes for drivers', guid: 'bridge-2', link: feeds.url('/story/bridge') }] }),
      { contentType: 'application/rss+xml' },
    );
    await app.pollNow();
    // same link: the story is already posted here, so no new alert, and no second request for the page either
    expect(alerts()).toHaveLength(2);
    expect(feeds.hits('/story/bridge')).toBe(1);
  }, 60_000);
});
