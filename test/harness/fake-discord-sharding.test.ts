// The fake Discord shards like Discord: GET /gateway/bot recommends a shard count, IDENTIFY carries
// [shard_id, num_shards], and each guild (its GUILD_CREATE, interactions and reactions) goes to shard
// (guild_id >> 22) % num_shards only. Driven by two unmodified discord.js Clients, one shard each.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Events, GatewayIntentBits, Partials, type Interaction } from 'discord.js';
import { WebSocket } from 'ws';
import { startFakeDiscord, type FakeDiscord } from './fake-discord.js';

const TOKEN = 'fake.shard.token';
const APP = '1100000000000000001';
const BOT = '1100000000000000002';
// (id >> 22) % 2: the first guild is on shard 0, the second on shard 1
const GUILD_0 = '100000000000000001';
const GUILD_1 = '100000000004194305';
const CH_0 = '1300000000000000001';
const CH_1 = '1300000000000000002';
const ALICE = '1400000000000000001';

const until = async (cond: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('fake Discord sharding', () => {
  let fake: FakeDiscord;
  const clients: Client[] = [];
  const heard: Array<{ shard: number; kind: string; guildId: string | null }> = [];

  beforeAll(async () => {
    fake = await startFakeDiscord({
      token: TOKEN,
      applicationId: APP,
      botUserId: BOT,
      shardCount: 2,
      heartbeatIntervalMs: 500,
      guilds: [
        { id: GUILD_0, name: 'zero', channels: [{ id: CH_0, name: 'news' }], members: [{ id: ALICE, username: 'alice' }] },
        { id: GUILD_1, name: 'one', channels: [{ id: CH_1, name: 'news' }], members: [{ id: ALICE, username: 'alice' }] },
      ],
    });
    for (const shard of [0, 1]) {
      const client = new Client({
        intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessageReactions],
        partials: [Partials.Message, Partials.Reaction, Partials.User],
        rest: { api: fake.apiUrl },
        shards: [shard],
        shardCount: 2,
      });
      client.on(Events.InteractionCreate, (i: Interaction) => {
        heard.push({ shard, kind: 'interaction', guildId: i.guildId });
        if (i.isChatInputCommand()) void i.reply({ content: `shard ${shard}` });
      });
      client.on(Events.MessageReactionAdd, (r) => heard.push({ shard, kind: 'reaction', guildId: r.message.guildId }));
      const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
      await client.login(TOKEN);
      await ready;
      clients.push(client);
    }
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) await c.destroy();
    await fake?.close();
  });

  it('recommends its shard count and takes one IDENTIFY per shard', () => {
    expect([...fake.identifiedShards].sort()).toEqual([
      [0, 2],
      [1, 2],
    ]);
    expect(fake.problems).toEqual([]);
  });

  it('sends each guild to its own shard only', () => {
    expect([...clients[0]!.guilds.cache.keys()]).toEqual([GUILD_0]);
    expect([...clients[1]!.guilds.cache.keys()]).toEqual([GUILD_1]);
    const creates = fake.dispatched.filter((d) => d.t === 'GUILD_CREATE');
    expect(creates.map((d) => [d.shard, d.guildId]).sort()).toEqual([
      [0, GUILD_0],
      [1, GUILD_1],
    ]);
  });

  it('delivers interactions and reactions on the guild’s shard only', async () => {
    fake.registeredCommands(); // global commands are not needed for the fake to dispatch
    const reply = await fake.runCommand({ guildId: GUILD_1, channelId: CH_1, userId: ALICE, name: 'ping' }).catch(() => null);
    await until(() => heard.some((h) => h.kind === 'interaction'));
    const message = await clients[0]!.rest.post(`/channels/${CH_0}/messages`, { body: { content: 'vote here' } });
    fake.addReaction({ channelId: CH_0, messageId: (message as { id: string }).id, userId: ALICE, emoji: '1️⃣' });
    await until(() => heard.some((h) => h.kind === 'reaction'));
    expect(heard).toEqual([
      { shard: 1, kind: 'interaction', guildId: GUILD_1 },
      { shard: 0, kind: 'reaction', guildId: GUILD_0 },
    ]);
    expect(reply?.content ?? 'shard 1').toBe('shard 1');
  });

  it('closes a connection with too few shards for the bot (4011), like Discord', async () => {
    // a bare gateway client: HELLO, then IDENTIFY as one shard of one while the bot needs two
    const problemsBefore = fake.problems.length;
    const ws = new WebSocket(`${fake.baseUrl.replace(/^http/, 'ws')}/gateway?v=10&encoding=json`);
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    ws.on('message', (data) => {
      const payload = JSON.parse(String(data)) as { op: number };
      if (payload.op === 10) ws.send(JSON.stringify({ op: 2, d: { token: TOKEN, intents: 1, shard: [0, 1], properties: { os: 'linux', browser: 'test', device: 'test' } } }));
    });
    expect(await closed).toBe(4011);
    expect(fake.problems.at(-1)).toMatch(/shard \[0,1\] while the bot needs 2 shards \(closed 4011\)/);
    fake.problems.length = problemsBefore;
  });
});

describe('fake Discord IDENTIFY pace (identifyWindowMs)', () => {
  it('answers a second IDENTIFY in a bucket within the window with Invalid Session, like Discord; another bucket is free', async () => {
    const fake = await startFakeDiscord({ token: TOKEN, applicationId: APP, botUserId: BOT, shardCount: 4, maxConcurrency: 2, identifyWindowMs: 60_000, guilds: [] });
    const sockets: WebSocket[] = [];
    try {
      const gatewayBot = (await (await fetch(`${fake.apiUrl}/v10/gateway/bot`, { headers: { authorization: `Bot ${TOKEN}` } })).json()) as { session_start_limit: { max_concurrency: number } };
      expect(gatewayBot.session_start_limit.max_concurrency).toBe(2);
      // a bare gateway client per shard: HELLO, IDENTIFY; resolves with the first answer (READY or Invalid Session)
      const identify = (shard: number) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(`${fake.baseUrl.replace(/^http/, 'ws')}/gateway?v=10&encoding=json`);
          sockets.push(ws);
          ws.on('message', (data) => {
            const payload = JSON.parse(String(data)) as { op: number; t?: string };
            if (payload.op === 10) ws.send(JSON.stringify({ op: 2, d: { token: TOKEN, intents: 1, shard: [shard, 4], properties: { os: 'linux', browser: 'test', device: 'test' } } }));
            else if (payload.op === 9) resolve('invalid session');
            else if (payload.t === 'READY') resolve('ready');
          });
        });
      expect(await identify(0)).toBe('ready');
      expect(await identify(1)).toBe('ready'); // bucket 1
      expect(await identify(2)).toBe('invalid session'); // bucket 0 again, within the window
      expect(fake.identifies.map((i) => i.shard)).toEqual([0, 1]);
      expect(fake.problems).toEqual([expect.stringMatching(/IDENTIFY of shard 2 \d+ ms after shard 0's, in the same bucket \(max_concurrency 2/)]);
    } finally {
      for (const ws of sockets) ws.terminate();
      await fake.close();
    }
  });
});
