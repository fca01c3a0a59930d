// Herald's health and permission problems, as a server sees them: /status, the pause-and-notice when Discord refuses
// an alert for a missing permission, /subscriptions showing the pause, the resume (by /subscriptions resume and by
// /status) once the permission is back, and the read-only /feeds for members without Manage Channels.
import { readFileSync } from 'node:fs';
import { PermissionFlagsBits } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { startFakeDiscord, type FakeDiscord, type FakeOverwrite } from '../harness/fake-discord.js';
import { rssFeed, startFeedServer, type FeedServer } from '../harness/feed-server.js';
import { until } from '../harness/until.js';

const TOKEN = 'status-and-pauses-token';
const BOT = '430000000000000002';
const HOME = '130000000000000001';
const OTHER = '130000000000000002';
const CH = {
  general: '230000000000000001',
  news: '230000000000000002',
  desk: '230000000000000003',
  elsewhere: '230000000000000009',
  rules: '230000000000000008',
  lobby: '230000000000000010',
};
const ADMIN = '330000000000000001';
const MEMBER = '330000000000000002';
const { ViewChannel, SendMessages, ManageChannels, AddReactions } = PermissionFlagsBits;
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const story = (n: number) => ({ title: `Kyiv story number ${n} of the winter`, guid: `k${n}`, link: `https://news.example/kyiv-${n}`, description: 'Air defences were busy.' });
let published: ReturnType<typeof story>[] = [];

let discord: FakeDiscord;
let feeds: FeedServer;
let app: App;

// a busy machine (2 cores, other suites running) can take seconds over a first fetch and parse: no answer is timed
const run = (guildId: string, channelId: string, userId: string, name: string, subcommand?: string, options: Record<string, unknown> = {}) =>
  discord.runCommand({ guildId, channelId, userId, name, subcommand, options, timeoutMs: 20_000 });
const home = (userId: string, name: string, subcommand?: string, options: Record<string, unknown> = {}, channelId = CH.news) => run(HOME, channelId, userId, name, subcommand, options);

/** Publishes one more story on the world feed and polls. */
async function publish(n: number): Promise<void> {
  published = [story(n), ...published];
  feeds.set('/world.xml', rssFeed({ title: 'World Desk', link: 'https://news.example/', items: published }), { contentType: 'application/rss+xml' });
  await app.pollNow();
}

/** Sets a channel's overwrites and waits until Herald's cache has them (CHANNEL_UPDATE). */
async function setOverwrites(channelId: string, overwrites: FakeOverwrite[]): Promise<void> {
  discord.setOverwrites(channelId, overwrites);
  const cached = () => app.client.guilds.cache.get(HOME)?.channels.cache.get(channelId);
  await until(() => {
    const channel = cached();
    return !!channel && 'permissionOverwrites' in channel && channel.permissionOverwrites.cache.size === overwrites.length;
  }, `the overwrites of ${channelId} in Herald's cache`, 20_000);
}

const refusedSends = (channelId: string) => discord.requests.filter((r) => r.method === 'POST' && r.path === `/channels/${channelId}/messages` && r.status === 403).length;
const denySend: FakeOverwrite[] = [{ id: BOT, type: 'member', deny: SendMessages }];

beforeAll(async () => {
  feeds = await startFeedServer();
  published = [story(0)];
  feeds.set('/world.xml', rssFeed({ title: 'World Desk', link: 'https://news.example/', items: published }), { contentType: 'application/rss+xml' });
  feeds.set('/secret.xml', rssFeed({ title: 'Secret Club Feed', link: 'https://secret.example/', items: [{ title: 'x', guid: 's1', link: 'https://secret.example/1' }] }), { contentType: 'application/rss+xml' });
  const admin = { id: ADMIN, username: 'admin', permissions: ViewChannel | SendMessages | ManageChannels };
  discord = await startFakeDiscord({
    token: TOKEN,
    applicationId: '430000000000000001',
    botUserId: BOT,
    guilds: [
      {
        id: HOME,
        name: 'Home',
        systemChannelId: CH.general,
        channels: [
          { id: CH.general, name: 'general' },
          { id: CH.news, name: 'news' },
          { id: CH.desk, name: 'desk', overwrites: [{ id: BOT, type: 'member', deny: AddReactions }] },
        ],
        members: [admin, { id: MEMBER, username: 'member' }],
      },
      {
        id: OTHER,
        name: 'Other',
        // no system channel: the notice goes to the first text channel where Herald can post
        channels: [
          { id: CH.rules, name: 'rules', overwrites: [{ id: OTHER, type: 'role', deny: SendMessages }] },
          { id: CH.elsewhere, name: 'elsewhere' },
          { id: CH.lobby, name: 'lobby' },
        ],
        members: [admin],
      },
    ],
  });
  const config = loadConfig({ DISCORD_TOKEN: TOKEN, DISCORD_API_URL: discord.apiUrl, STORE_URL: 'memory://', ALLOW_PRIVATE_ADDRESSES: 'true', LOG_LEVEL: 'silent' });
  app = await startApp({ config, schedulePolling: false });

  expect((await home(ADMIN, 'feed', 'add', { url: feeds.url('/world.xml') })).content).toMatch(/^Following/);
  expect((await home(ADMIN, 'subscribe', undefined, { query: 'Kyiv' })).content).toMatch(/^Subscribed <#230000000000000002>/);
  expect((await home(ADMIN, 'subscribe', undefined, { query: 'Kyiv', channel: CH.desk })).content).toMatch(/^Subscribed <#230000000000000003>/);
  // Another server: the same feed plus one of its own that will fail, and its own subscription.
  const other = (name: string, subcommand: string | undefined, options: Record<string, unknown>) => run(OTHER, CH.elsewhere, ADMIN, name, subcommand, options);
  expect((await other('feed', 'add', { url: feeds.url('/world.xml') })).content).toMatch(/Following/);
  expect((await other('feed', 'add', { url: feeds.url('/secret.xml') })).content).toMatch(/^Following/);
  expect((await other('subscribe', undefined, { query: 'Kyiv' })).content).toMatch(/^Subscribed/);
  feeds.set('/secret.xml', 'gone', { status: 404 });
});

afterAll(async () => {
  await app?.stop();
  await discord?.close();
  await feeds?.close();
});

describe('a channel where Herald may not post', () => {
  it('pauses it on the first refusal and tells the server once, in its system channel, what to fix', async () => {
    await setOverwrites(CH.news, denySend);
    await publish(1);
    expect(discord.messages(CH.desk)).toHaveLength(1); // the other channel is unaffected
    expect(discord.messages(CH.elsewhere)).toHaveLength(1);
    expect(discord.messages(CH.news)).toHaveLength(0);
    const notices = discord.messages(CH.general);
    expect(notices).toHaveLength(1);
    expect(notices[0]!.content).toBe(
      `⏸️ Herald paused the alerts for <#${CH.news}>: it lacks **Send Messages** there. Give Herald's role Send Messages in <#${CH.news}> (channel settings → Permissions), then run \`/subscriptions resume\` in <#${CH.news}>. The alerts that could not be posted wait and are posted then.`,
    );
    expect(notices[0]!.allowedMentions).toEqual({ parse: [] });
    expect(app.services.subscriptions.pauseOf(CH.news)).toMatchObject({ guildId: HOME, missing: ['Send Messages'] });

    // more matching stories: nothing is tried there, and no second notice
    await publish(2);
    expect(discord.messages(CH.desk)).toHaveLength(2);
    expect(refusedSends(CH.news)).toBe(1);
    expect(discord.messages(CH.general)).toHaveLength(1);
  });

  it('/subscriptions list marks the paused subscriptions with the reason, for anyone', async () => {
    const reply = await home(MEMBER, 'subscriptions', 'list');
    expect(reply.ephemeral).toBe(true);
    expect(reply.content).toMatch(/^<#230000000000000002> has 1 subscription:\n• `[0-9a-f]{8}` `kyiv` ⏸️ paused\n⏸️ All of it is paused <t:\d+:R>: Herald lacked Send Messages there\. Give Herald's role what it lacks in <#230000000000000002>, then run \/subscriptions resume\.$/);
    // /why says a matching story was not posted because of the pause
    const why = await home(MEMBER, 'why', undefined, { url: 'https://news.example/kyiv-2' });
    expect(why.content).toMatch(/was not posted here:\n✓ `kyiv` — matched .*, but this channel is paused\n⏸️ This channel's subscriptions are paused <t:\d+:R>: Herald lacked Send Messages there; nothing is posted here until \/subscriptions resume\.$/);
    // from another channel: the pause is pointed at
    expect((await home(MEMBER, 'subscriptions', 'list', {}, CH.desk)).content).toContain(`⏸️ Also paused in this server: <#${CH.news}>.`);
  });

  it('/status shows this server only: version, store kind, feeds, alerts, the waiting alert, the last error, channel permissions', async () => {
    const reply = await home(ADMIN, 'status');
    expect(reply.ephemeral).toBe(true);
    const lines = reply.content.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^\\*\\*Herald ${VERSION.replace(/\./g, '\\.')}\\*\\* · up \\d+ \\w+ · store: memory \\(nothing kept\\)$`));
    expect(lines[1]).toBe('**Feeds**: 1 feed — ✅ 1 ok · ⚠️ 0 failing · ⛔ 0 disabled.');
    // desk got two alerts; the one refused in news waits (the second was never queued there)
    expect(lines[2]).toBe('**Alerts** in this server: 2 posted today (UTC), 2 in the last 7 days · 1 waiting to be sent.');
    expect(lines[3]).toMatch(new RegExp(`^\\*\\*Last error\\*\\*: <t:\\d+:R> in <#${CH.news}>: Discord refused an alert \\(50013 Missing Permissions\\): Herald lacks Send Messages; the channel is paused$`));
    expect(lines[4]).toBe('**Channels**: 2 subscribed channels; 2 with a permission problem:');
    expect(lines.slice(5).sort()).toEqual(
      [
        `⏸️ <#${CH.news}> paused ${lines.find((l) => l.startsWith(`⏸️ <#${CH.news}>`))!.match(/<t:\d+:R>/)![0]}: Herald lacked Send Messages there: still lacks Send Messages. Grant it, then /subscriptions resume there.`,
        `⚠️ <#${CH.desk}>: Herald lacks Add Reactions: alerts post, without the 1️⃣–5️⃣ rating reactions.`,
      ].sort(),
    );
    // nothing of the other server: its channel, its failing feed, its alerts
    expect(reply.content).not.toMatch(new RegExp(`${CH.elsewhere}|secret|Secret Club|404`));
  });

  it('/status in the other server shows its own failing feed and nothing of this one', async () => {
    const reply = await run(OTHER, CH.elsewhere, ADMIN, 'status');
    expect(reply.content).toContain('**Feeds**: 2 feeds — ✅ 1 ok · ⚠️ 1 failing · ⛔ 0 disabled.');
    expect(reply.content).toContain('**Secret Club Feed**');
    expect(reply.content).toMatch(/\*\*Last error\*\*: <t:\d+:R> feed \*\*Secret Club Feed\*\*/);
    expect(reply.content).toContain('2 posted today (UTC), 2 in the last 7 days · 0 waiting to be sent.');
    expect(reply.content).toContain('**Channels**: Herald has what it needs in all 1 subscribed channel');
    expect(reply.content).not.toMatch(new RegExp(`${CH.news}|${CH.desk}|${CH.general}`));
  });

  it('/status needs Manage Channels', async () => {
    expect((await home(MEMBER, 'status')).content).toBe('You need the **Manage Channels** permission to use /status. Ask a server admin.');
  });

  it('/subscriptions resume says exactly what is still missing, then resumes once it is fixed; the waiting alert and the next story post', async () => {
    expect((await home(MEMBER, 'subscriptions', 'resume')).content).toMatch(/Manage Channels/);
    expect((await home(ADMIN, 'subscriptions', 'resume')).content).toBe(
      `⏸️ <#${CH.news}> stays paused: Herald still lacks Send Messages there. Give Herald's role Send Messages in <#${CH.news}>, then run /subscriptions resume again.`,
    );
    expect(app.services.subscriptions.pauseOf(CH.news)).toBeDefined();

    await setOverwrites(CH.news, []);
    expect((await home(ADMIN, 'subscriptions', 'resume')).content).toBe(`▶️ Resumed <#${CH.news}>: new matching stories are posted there again. 1 alert that waited is being posted now.`);
    await discord.waitForMessage(CH.news, (m) => m.embeds[0]?.url === 'https://news.example/kyiv-1', 20_000);
    await app.services.alerts.idle();
    await publish(3);
    expect(discord.messages(CH.news).map((m) => m.embeds[0]?.url)).toEqual(['https://news.example/kyiv-1', 'https://news.example/kyiv-3']);
    expect((await home(ADMIN, 'subscriptions', 'list')).content).not.toContain('paused');
    expect((await home(ADMIN, 'subscriptions', 'resume')).content).toBe(`<#${CH.news}> isn't paused: its alerts are on.`);
  });

  it('a new pause is noticed again; /status resumes a channel whose permission is back', async () => {
    await setOverwrites(CH.news, denySend);
    await publish(4);
    expect(discord.messages(CH.general)).toHaveLength(2);
    expect(app.services.subscriptions.pauseOf(CH.news)).toBeDefined();
    await setOverwrites(CH.news, []);
    const reply = await home(ADMIN, 'status');
    expect(reply.content).toContain(`▶️ <#${CH.news}> resumed: Herald may post there again; 1 waiting alert being posted.`);
    await discord.waitForMessage(CH.news, (m) => m.embeds[0]?.url === 'https://news.example/kyiv-4', 20_000);
    expect(app.services.subscriptions.pauseOf(CH.news)).toBeUndefined();
  });

  it('/subscribe in a paused channel where Herald may post again resumes it', async () => {
    await setOverwrites(CH.news, denySend);
    await publish(5);
    expect(app.services.subscriptions.pauseOf(CH.news)).toBeDefined();
    await setOverwrites(CH.news, []);
    const reply = await home(ADMIN, 'subscribe', undefined, { query: 'winter' });
    expect(reply.content).toMatch(/^Subscribed <#230000000000000002> to `winter`/);
    expect(reply.content).toContain(`\n▶️ Resumed <#${CH.news}>: new matching stories are posted there again. 1 alert that waited is being posted now.`);
    await discord.waitForMessage(CH.news, (m) => m.embeds[0]?.url === 'https://news.example/kyiv-5', 20_000);
  });

  it('a server without a system channel gets the notice in its first text channel where Herald can post', async () => {
    await app.services.alerts.idle();
    discord.setOverwrites(CH.elsewhere, [{ id: BOT, type: 'member', deny: ViewChannel }]);
    await until(() => {
      const channel = app.client.guilds.cache.get(OTHER)?.channels.cache.get(CH.elsewhere);
      return !!channel && 'permissionOverwrites' in channel && channel.permissionOverwrites.cache.size === 1;
    }, 'the overwrite in the cache', 20_000);
    await publish(6);
    const notice = await discord.waitForMessage(CH.lobby, () => true, 20_000);
    expect(notice.content).toMatch(new RegExp(`^⏸️ Herald paused the alerts for <#${CH.elsewhere}>: it lacks \\*\\*View Channel\\*\\* there\\.`));
    expect(discord.messages(CH.rules)).toEqual([]);
    expect(discord.messages(CH.general).filter((m) => m.content.includes(CH.elsewhere))).toEqual([]);
  });
});

describe('/help', () => {
  it('points members at /feeds and admins at /status and /subscriptions resume, within one message', async () => {
    const reply = await home(MEMBER, 'help');
    expect(reply.content.length).toBeLessThanOrEqual(2000);
    expect(reply.content).toContain('`/feeds list`');
    expect(reply.content).toContain('`/subscriptions resume`');
    expect(reply.content).toContain('`/status`');
  });
});

describe('/feeds: reading the feeds needs no permission', () => {
  it('a member without Manage Channels lists, inspects and exports the feeds', async () => {
    const list = await home(MEMBER, 'feeds', 'list');
    expect(list.content).toBe(`This server follows 1 feed:\n• **World Desk** ${feeds.url('/world.xml')}`);
    const status = await home(MEMBER, 'feeds', 'status');
    expect(status.content).toMatch(/^1 feed:\n• \*\*World Desk\*\* .* — ✅ healthy/);
    expect((await home(MEMBER, 'feeds', 'status', { url: feeds.url('/world.xml') })).content).toMatch(/^\*\*World Desk\*\*/);
    const exported = await home(MEMBER, 'feeds', 'export');
    expect(exported.files.map((f) => f.filename)).toEqual(['herald-feeds.opml']);
    expect(exported.files[0]!.data.toString('utf8')).toContain(feeds.url('/world.xml'));
    expect(await discord.autocomplete({ guildId: HOME, channelId: CH.news, userId: MEMBER, name: 'feeds', subcommand: 'status', focused: 'url', timeoutMs: 20_000 })).toEqual([
      { name: `World Desk — ${feeds.url('/world.xml')}`, value: feeds.url('/world.xml') },
    ]);
  });

  it('changes still need Manage Channels, and /feed is registered with it; /feeds and /subscriptions are not', async () => {
    expect((await home(MEMBER, 'feed', 'add', { url: feeds.url('/secret.xml') })).content).toBe('You need the **Manage Channels** permission to use /feed. Ask a server admin.');
    const registered = new Map(discord.registeredCommands().map((c) => [c.name as string, c]));
    expect(registered.get('feed')?.default_member_permissions).toBe(String(ManageChannels));
    expect(registered.get('status')?.default_member_permissions).toBe(String(ManageChannels));
    expect(registered.get('feeds')?.default_member_permissions).toBeNull();
    expect(registered.get('subscriptions')?.default_member_permissions).toBeNull();
    expect((registered.get('feeds')?.options as Array<{ name: string }>).map((o) => o.name)).toEqual(['list', 'status', 'export']);
    // the old read-only names still work for admins
    expect((await home(ADMIN, 'feed', 'list')).content).toMatch(/^This server follows 1 feed/);
  });

  it('sent only request bodies Discord accepts (command registration included)', () => {
    expect(discord.problems).toEqual([]);
  });
});
