import http from 'node:http';
import { channelPermissions, overwritesJson, type FakeOverwrite } from './overwrites.js';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import {
  ApplicationCommandOptionType,
  ChannelType,
  GatewayCloseCodes,
  GatewayDispatchEvents,
  GatewayIntentBits,
  GatewayOpcodes,
  InteractionResponseType,
  InteractionType,
  MessageFlags,
  PermissionFlagsBits,
} from 'discord-api-types/v10';
import type {
  CommandRunOptions,
  FailResponse,
  FakeAttachment,
  FakeChannelSpec,
  FakeDiscord,
  FakeDiscordOptions,
  FakeMessage,
  FakeRequest,
  InteractionFollowUp,
  InteractionReply,
} from '../fake-discord.js';
import {
  checkCommandCreate,
  checkCommandPatch,
  checkCommandsBulk,
  checkInteractionCallback,
  checkMessageCreate,
  checkMessageEdit,
  checkWebhookEdit,
  checkWebhookExecute,
} from './contract.js';
import { dropConnection, FaultInjector, type FaultPlan } from './faults.js';
import { NonceRegistry } from './nonce.js';
import {
  bucketHash,
  effectivePermissions,
  errorBody,
  isObj,
  readBody,
  snowflake,
  writeReply,
  type ParsedBody,
  type Reply,
  type UploadedFile,
} from './util.js';

export const DEFAULT_MEMBER_PERMISSIONS: bigint = PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages;
export const DEFAULT_BOT_PERMISSIONS: bigint =
  PermissionFlagsBits.ViewChannel |
  PermissionFlagsBits.SendMessages |
  PermissionFlagsBits.EmbedLinks |
  PermissionFlagsBits.AttachFiles |
  PermissionFlagsBits.AddReactions |
  PermissionFlagsBits.ReadMessageHistory |
  PermissionFlagsBits.UseExternalEmojis |
  PermissionFlagsBits.ManageMessages;

type Json = Record<string, unknown>;

interface UserState {
  id: string;
  username: string;
  bot: boolean;
}

interface MemberState {
  userId: string;
  roleId: string;
  permissions: bigint;
  joinedAt: string;
}

interface ChannelState {
  id: string;
  name: string;
  type: number;
  guildId: string;
  position: number;
  deleted: boolean;
  lastMessageId: string | null;
  overwrites: FakeOverwrite[];
}

interface GuildState {
  id: string;
  name: string;
  systemChannelId: string | null;
  ownerId: string;
  channelIds: string[];
  members: Map<string, MemberState>;
  roles: Json[];
  joinedAt: string;
}

interface MsgRecord {
  msg: FakeMessage;
  guildId: string | undefined;
  type: number;
  timestamp: string;
  editedTimestamp: string | null;
  emojis: Map<string, { id: string | null; name: string; animated?: boolean }>;
  interaction?: InteractionState;
  deleted: boolean;
}

interface InteractionState {
  id: string;
  token: string;
  kind: 'command' | 'autocomplete';
  guildId: string;
  channelId: string;
  userId: string;
  name: string;
  createdAt: number;
  callbackType: number | null;
  reply: InteractionReply | null;
  original: MsgRecord | null;
  followUps: Map<string, { rec: MsgRecord; entry: InteractionFollowUp }>;
  settled: boolean;
  settle: (v: unknown) => void;
  fail: (e: Error) => void;
}

interface Session {
  id: string;
  seq: number;
  intents: number;
  /** null while disconnected; events are then buffered in `history` and replayed on RESUME */
  ws: WebSocket | null;
  shard: [number, number];
  history: { s: number; t: string; d: unknown }[];
}

interface Waiter {
  channelId: string;
  messageId?: string;
  pred: (m: FakeMessage) => boolean;
  resolve: (m: FakeMessage) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

interface Ctx {
  /** run after the HTTP answer is written (settling runCommand etc., so `requests[].status` is already set) */
  after: (() => void)[];
  method: string;
  path: string;
  query: URLSearchParams;
  body: ParsedBody;
  params: string[];
}

interface Route {
  method: string;
  template: string;
  /** template segments; ':name' matches any non-empty segment, others must equal the decoded segment */
  segments: string[];
  auth: boolean;
  handler: (ctx: Ctx) => Reply | Promise<Reply>;
}

const EVENT_INTENT: Record<string, number | null> = {
  [GatewayDispatchEvents.GuildCreate]: GatewayIntentBits.Guilds,
  [GatewayDispatchEvents.ChannelCreate]: GatewayIntentBits.Guilds,
  [GatewayDispatchEvents.ChannelUpdate]: GatewayIntentBits.Guilds,
  [GatewayDispatchEvents.ChannelDelete]: GatewayIntentBits.Guilds,
  [GatewayDispatchEvents.MessageCreate]: GatewayIntentBits.GuildMessages,
  [GatewayDispatchEvents.MessageUpdate]: GatewayIntentBits.GuildMessages,
  [GatewayDispatchEvents.MessageDelete]: GatewayIntentBits.GuildMessages,
  [GatewayDispatchEvents.MessageReactionAdd]: GatewayIntentBits.GuildMessageReactions,
  [GatewayDispatchEvents.MessageReactionRemove]: GatewayIntentBits.GuildMessageReactions,
  [GatewayDispatchEvents.MessageReactionRemoveAll]: GatewayIntentBits.GuildMessageReactions,
  [GatewayDispatchEvents.MessageReactionRemoveEmoji]: GatewayIntentBits.GuildMessageReactions,
  [GatewayDispatchEvents.InteractionCreate]: null,
  [GatewayDispatchEvents.GuildMembersChunk]: null,
};

const TEXT_TYPES = new Set<number>([
  ChannelType.GuildText,
  ChannelType.GuildAnnouncement,
  ChannelType.GuildVoice,
  ChannelType.GuildStageVoice,
  ChannelType.PublicThread,
  ChannelType.PrivateThread,
  ChannelType.AnnouncementThread,
]);

function parseEmoji(s: string): { id: string | null; name: string; animated?: boolean } {
  const m = /^(a:)?([^:]+):(\d+)$/.exec(s);
  if (m) return { id: m[3] ?? null, name: m[2] ?? s, ...(m[1] ? { animated: true } : {}) };
  return { id: null, name: s };
}

export class FakeDiscordServer implements FakeDiscord {
  apiUrl = '';
  baseUrl = '';
  requests: FakeRequest[] = [];
  problems: string[] = [];
  identifyCount = 0;
  /** `[shard_id, num_shards]` of every IDENTIFY, in order */
  readonly identifiedShards: Array<[number, number]> = [];
  readonly identifies: Array<{ at: number; shard: number }> = [];
  /** the last accepted IDENTIFY per bucket (shard id % max_concurrency) */
  private readonly lastIdentify = new Map<number, { at: number; shard: number }>();
  /** every dispatch sent: which shard's session got which event for which guild */
  readonly dispatched: Array<{ shard: number; t: string; guildId: string | undefined }> = [];

  private readonly opts: Required<Pick<FakeDiscordOptions, 'heartbeatIntervalMs' | 'interactionAckTimeoutMs'>> & FakeDiscordOptions;
  private readonly server: http.Server;
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();
  private readonly sessions = new Map<string, Session>();
  private readonly users = new Map<string, UserState>();
  private readonly guilds = new Map<string, GuildState>();
  private readonly botPerms = new Map<string, bigint>();
  private readonly channels = new Map<string, ChannelState>();
  private readonly channelMessages = new Map<string, MsgRecord[]>();
  private readonly messagesById = new Map<string, MsgRecord>();
  private readonly nonces: NonceRegistry<MsgRecord>;
  private readonly commands = new Map<string, Json[]>(); // '' = global, else guild id
  private readonly interactions = new Map<string, InteractionState>();
  private readonly interactionsByToken = new Map<string, InteractionState>();
  private readonly blobs = new Map<string, { data: Buffer; contentType: string; filename: string }>();
  /** fault injection (faults.ts): failNext, random plans, the log of what was injected */
  readonly faults = new FaultInjector();
  private readonly messageWaiters = new Set<Waiter>();
  private readonly editWaiters = new Set<Waiter>();
  private readonly routes: Route[] = [];
  private closed = false;

  private constructor(opts: FakeDiscordOptions) {
    this.opts = { heartbeatIntervalMs: 41_250, interactionAckTimeoutMs: 3000, ...opts };
    this.nonces = new NonceRegistry<MsgRecord>(opts.nonceWindowMs);
    this.users.set(opts.botUserId, { id: opts.botUserId, username: opts.botUsername ?? 'Herald', bot: true });
    const now = new Date().toISOString();
    for (const g of opts.guilds) {
      const guild: GuildState = {
        id: g.id,
        name: g.name,
        systemChannelId: g.systemChannelId ?? null,
        ownerId: snowflake(), // nobody we know: no member gets owner's implicit ALL permissions
        channelIds: [],
        members: new Map(),
        roles: [this.roleObj(g.id, '@everyone', 0n, 0)],
        joinedAt: now,
      };
      this.guilds.set(g.id, guild);
      g.channels.forEach((c) => this.createChannelState(guild, c));
      const botSpec = g.members.find((m) => m.id === opts.botUserId);
      const botBits = botSpec?.permissions ?? g.botPermissions ?? opts.botPermissions ?? DEFAULT_BOT_PERMISSIONS;
      this.botPerms.set(g.id, botBits);
      for (const m of g.members) {
        if (m.id === opts.botUserId) continue;
        if (!this.users.has(m.id)) this.users.set(m.id, { id: m.id, username: m.username, bot: false });
        this.addMember(guild, m.id, m.username, m.permissions ?? DEFAULT_MEMBER_PERMISSIONS);
      }
      this.addMember(guild, opts.botUserId, opts.botUsername ?? 'Herald', botBits);
    }
    this.server = http.createServer((req, res) => {
      this.handleHttp(req, res).catch((e: unknown) => {
        this.problem(`fake-discord internal error on ${req.method} ${req.url}: ${(e as Error).stack ?? String(e)}`);
        if (!res.headersSent) writeReply(res, { status: 500, body: errorBody(0, '500: Internal Server Error') });
      });
    });
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (url.pathname !== '/gateway') {
        this.problem(`gateway: websocket upgrade on unexpected path ${url.pathname}`);
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, url));
    });
    this.buildRoutes();
  }

  static async start(opts: FakeDiscordOptions): Promise<FakeDiscordServer> {
    const s = new FakeDiscordServer(opts);
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject);
      s.server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = s.server.address() as AddressInfo;
    s.baseUrl = `http://127.0.0.1:${port}`;
    s.apiUrl = `${s.baseUrl}/api`;
    return s;
  }

  // =====================================================================================
  // state helpers & payload builders
  // =====================================================================================

  private problem(p: string): void {
    this.problems.push(p);
  }

  private roleObj(id: string, name: string, perms: bigint, position: number): Json {
    return {
      id,
      name,
      color: 0,
      colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
      hoist: false,
      icon: null,
      unicode_emoji: null,
      position,
      permissions: perms.toString(),
      managed: false,
      mentionable: false,
      flags: 0,
    };
  }

  private addMember(guild: GuildState, userId: string, username: string, perms: bigint): void {
    const roleId = snowflake();
    guild.roles.push(this.roleObj(roleId, `${username} permissions`, perms, guild.roles.length));
    guild.members.set(userId, { userId, roleId, permissions: perms, joinedAt: guild.joinedAt });
  }

  private createChannelState(guild: GuildState, c: FakeChannelSpec): ChannelState {
    const ch: ChannelState = {
      id: c.id,
      name: c.name,
      type: c.type ?? ChannelType.GuildText,
      guildId: guild.id,
      position: guild.channelIds.length,
      deleted: false,
      lastMessageId: null,
      overwrites: c.overwrites ?? [],
    };
    this.channels.set(c.id, ch);
    guild.channelIds.push(c.id);
    return ch;
  }

  private user(id: string): UserState {
    let u = this.users.get(id);
    if (!u) {
      u = { id, username: `user-${id}`, bot: false };
      this.users.set(id, u);
    }
    return u;
  }

  private userObj(id: string): Json {
    const u = this.user(id);
    return {
      id: u.id,
      username: u.username,
      discriminator: '0',
      global_name: u.bot ? null : u.username,
      avatar: null,
      bot: u.bot,
      system: false,
      banner: null,
      accent_color: null,
      public_flags: 0,
      flags: 0,
      avatar_decoration_data: null,
      ...(u.id === this.opts.botUserId ? { verified: true, mfa_enabled: false, email: null } : {}),
    };
  }

  private memberPerms(guildId: string, userId: string): bigint {
    if (userId === this.opts.botUserId) return effectivePermissions(this.botPerms.get(guildId) ?? 0n);
    const m = this.guilds.get(guildId)?.members.get(userId);
    return effectivePermissions(m?.permissions ?? 0n);
  }

  private memberObj(guildId: string, userId: string, opts: { withUser: boolean; withPermissions?: boolean }): Json | undefined {
    const guild = this.guilds.get(guildId);
    const m = guild?.members.get(userId);
    if (!guild || !m) return undefined;
    return {
      ...(opts.withUser ? { user: this.userObj(userId) } : {}),
      nick: null,
      avatar: null,
      banner: null,
      roles: [m.roleId],
      joined_at: m.joinedAt,
      premium_since: null,
      deaf: false,
      mute: false,
      flags: 0,
      pending: false,
      communication_disabled_until: null,
      ...(opts.withPermissions ? { permissions: this.memberPerms(guildId, userId).toString() } : {}),
    };
  }

  private channelObj(ch: ChannelState): Json {
    return {
      id: ch.id,
      type: ch.type,
      guild_id: ch.guildId,
      name: ch.name,
      position: ch.position,
      permission_overwrites: overwritesJson(ch.overwrites),
      topic: null,
      nsfw: false,
      last_message_id: ch.lastMessageId,
      rate_limit_per_user: 0,
      parent_id: null,
      flags: 0,
      ...(ch.type === ChannelType.GuildVoice ? { bitrate: 64000, user_limit: 0, rtc_region: null } : {}),
    };
  }

  private guildObj(guild: GuildState, intents: number | null): Json {
    const memberIds = [...guild.members.keys()];
    // Without the (privileged) GuildMembers intent Discord only sends the bot's own member in GUILD_CREATE.
    const visible =
      intents === null || (intents & GatewayIntentBits.GuildMembers) !== 0 ? memberIds : memberIds.filter((id) => id === this.opts.botUserId);
    return {
      id: guild.id,
      name: guild.name,
      icon: null,
      icon_hash: null,
      splash: null,
      discovery_splash: null,
      owner_id: guild.ownerId,
      afk_channel_id: null,
      afk_timeout: 300,
      widget_enabled: false,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      roles: guild.roles,
      emojis: [],
      features: [],
      mfa_level: 0,
      application_id: null,
      system_channel_id: guild.systemChannelId,
      system_channel_flags: 0,
      rules_channel_id: null,
      max_members: 500000,
      vanity_url_code: null,
      description: null,
      banner: null,
      premium_tier: 0,
      premium_subscription_count: 0,
      preferred_locale: 'en-US',
      public_updates_channel_id: null,
      max_video_channel_users: 25,
      nsfw_level: 0,
      stickers: [],
      premium_progress_bar_enabled: false,
      safety_alerts_channel_id: null,
      incidents_data: null,
      // GUILD_CREATE-only fields
      joined_at: guild.joinedAt,
      large: false,
      unavailable: false,
      member_count: guild.members.size,
      voice_states: [],
      members: visible.map((id) => this.memberObj(guild.id, id, { withUser: true })),
      channels: guild.channelIds
        .map((id) => this.channels.get(id))
        .filter((c): c is ChannelState => !!c && !c.deleted)
        .map((c) => {
          const o = this.channelObj(c);
          delete o.guild_id; // GUILD_CREATE channels carry no guild_id
          return o;
        }),
      threads: [],
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
    };
  }

  private attachmentObj(a: FakeAttachment): Json {
    return {
      id: a.id,
      filename: a.filename,
      size: a.data.length,
      url: a.url,
      proxy_url: a.url,
      content_type: a.contentType,
      ...(a.description !== undefined ? { description: a.description } : {}),
    };
  }

  private messageObj(rec: MsgRecord): Json {
    const m = rec.msg;
    const reactions = [...m.reactions.entries()]
      .filter(([, set]) => set.size > 0)
      .map(([name, set]) => ({
        emoji: rec.emojis.get(name) ?? { id: null, name },
        count: set.size,
        count_details: { burst: 0, normal: set.size },
        burst_colors: [],
        me: set.has(this.opts.botUserId),
        me_burst: false,
      }));
    const it = rec.interaction;
    return {
      id: m.id,
      type: rec.type,
      channel_id: m.channelId,
      ...(rec.guildId ? { guild_id: rec.guildId } : {}),
      author: this.userObj(m.authorId),
      content: m.content,
      timestamp: rec.timestamp,
      edited_timestamp: rec.editedTimestamp,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: m.attachments.map((a) => this.attachmentObj(a)),
      embeds: m.embeds.map((e: unknown) => (isObj(e) && e.type === undefined ? { type: 'rich', ...e } : e)),
      ...(reactions.length ? { reactions } : {}),
      ...(m.nonce !== undefined ? { nonce: m.nonce } : {}),
      pinned: false,
      flags: m.flags,
      components: [],
      ...(m.messageReference !== undefined ? { message_reference: m.messageReference } : {}),
      ...(it
        ? {
            webhook_id: this.opts.applicationId,
            application_id: this.opts.applicationId,
            interaction_metadata: {
              id: it.id,
              type: InteractionType.ApplicationCommand,
              name: it.name,
              command_type: 1,
              user: this.userObj(it.userId),
              authorizing_integration_owners: { '0': it.guildId },
            },
          }
        : {}),
    };
  }

  // =====================================================================================
  // gateway
  // =====================================================================================

  private onConnection(ws: WebSocket, url: URL): void {
    this.sockets.add(ws);
    if (url.searchParams.get('v') !== '10') this.problem(`gateway: connected with v=${url.searchParams.get('v')} (expected 10)`);
    if ((url.searchParams.get('encoding') ?? 'json') !== 'json') this.problem(`gateway: encoding=${url.searchParams.get('encoding')} is not supported by the fake`);
    if (url.searchParams.has('compress')) this.problem(`gateway: compress=${url.searchParams.get('compress')} is not supported by the fake`);
    let session: Session | null = null;
    const raw = (payload: unknown) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(payload)); // text frames only (NOTES)
    };
    raw({ op: GatewayOpcodes.Hello, d: { heartbeat_interval: this.opts.heartbeatIntervalMs, _trace: ['fake-discord'] }, s: null, t: null });

    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) {
        this.problem('gateway: client sent a binary frame');
        return;
      }
      let p: { op?: unknown; d?: unknown };
      try {
        p = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : String(data)) as { op?: unknown; d?: unknown };
      } catch {
        this.problem('gateway: client sent invalid JSON');
        ws.close(GatewayCloseCodes.DecodeError, 'Error while decoding payload.');
        return;
      }
      const d = isObj(p.d) ? p.d : {};
      switch (p.op) {
        case GatewayOpcodes.Heartbeat:
          raw({ op: GatewayOpcodes.HeartbeatAck, d: null, s: null, t: null });
          break;
        case GatewayOpcodes.Identify: {
          this.identifyCount++;
          if (session) {
            this.problem('gateway: IDENTIFY sent twice on one connection');
            ws.close(GatewayCloseCodes.AlreadyAuthenticated, 'Already authenticated.');
            return;
          }
          if (!this.tokenOk(d.token)) {
            this.problem('gateway: IDENTIFY with a bad token (closed 4004)');
            ws.close(GatewayCloseCodes.AuthenticationFailed, 'Authentication failed.');
            return;
          }
          if (typeof d.intents !== 'number') {
            this.problem('gateway: IDENTIFY without intents (closed 4013)');
            ws.close(GatewayCloseCodes.InvalidIntents, 'Invalid intent(s).');
            return;
          }
          const shardCount = this.opts.shardCount ?? 1;
          const shard = Array.isArray(d.shard) ? (d.shard as [number, number]) : ([0, 1] as [number, number]);
          if (shardCount > 1 && (!Array.isArray(d.shard) || Number(shard[1]) < shardCount)) {
            this.problem(`gateway: IDENTIFY with ${Array.isArray(d.shard) ? `shard ${JSON.stringify(d.shard)}` : 'no shard'} while the bot needs ${shardCount} shards (closed 4011)`);
            ws.close(GatewayCloseCodes.ShardingRequired, 'Sharding required.');
            return;
          }
          if (!(Number.isInteger(shard[0]) && Number.isInteger(shard[1]) && shard[1] >= 1 && shard[0] >= 0 && shard[0] < shard[1])) {
            this.problem(`gateway: IDENTIFY with an invalid shard ${JSON.stringify(d.shard)} (closed 4010)`);
            ws.close(GatewayCloseCodes.InvalidShard, 'Invalid shard.');
            return;
          }
          const bucket = shard[0] % (this.opts.maxConcurrency ?? 1);
          const last = this.lastIdentify.get(bucket);
          const now = Date.now();
          if (this.opts.identifyWindowMs && last && now - last.at < this.opts.identifyWindowMs) {
            // Discord: too many IDENTIFYs in a bucket → Invalid Session (not resumable)
            this.problem(`gateway: IDENTIFY of shard ${shard[0]} ${now - last.at} ms after shard ${last.shard}'s, in the same bucket (max_concurrency ${this.opts.maxConcurrency ?? 1}: one per ${this.opts.identifyWindowMs} ms); answered Invalid Session`);
            raw({ op: GatewayOpcodes.InvalidSession, d: false, s: null, t: null });
            return;
          }
          this.lastIdentify.set(bucket, { at: now, shard: shard[0] });
          this.identifies.push({ at: now, shard: shard[0] });
          this.identifiedShards.push([shard[0], shard[1]]);
          session = { id: randomBytes(16).toString('hex'), seq: 0, intents: d.intents, ws, shard, history: [] };
          this.sessions.set(session.id, session);
          const ready = session;
          if (this.opts.readyDelayMs) setTimeout(() => ready.ws === ws && ws.readyState === ws.OPEN && this.sendReady(ready), this.opts.readyDelayMs);
          else this.sendReady(session);
          break;
        }
        case GatewayOpcodes.Resume: {
          const old = typeof d.session_id === 'string' ? this.sessions.get(d.session_id) : undefined;
          if (!old || !this.tokenOk(d.token)) {
            raw({ op: GatewayOpcodes.InvalidSession, d: false, s: null, t: null });
            return;
          }
          if (old.ws && old.ws !== ws) old.ws.terminate();
          old.ws = ws;
          session = old;
          // replay what the client missed, then RESUMED (as Discord does)
          const since = typeof d.seq === 'number' ? d.seq : 0;
          for (const e of old.history) if (e.s > since) raw({ op: GatewayOpcodes.Dispatch, t: e.t, s: e.s, d: e.d });
          this.send(old, GatewayDispatchEvents.Resumed, {});
          break;
        }
        case GatewayOpcodes.RequestGuildMembers: {
          if (!session) return;
          const guild = typeof d.guild_id === 'string' ? this.guilds.get(d.guild_id) : undefined;
          if (!guild) return;
          if ((session.intents & GatewayIntentBits.GuildMembers) === 0) {
            this.problem('gateway: REQUEST_GUILD_MEMBERS without the GuildMembers intent (closed 4013)');
            ws.close(GatewayCloseCodes.DisallowedIntents, 'Disallowed intent(s).');
            return;
          }
          const ids = Array.isArray(d.user_ids) ? (d.user_ids as string[]) : typeof d.user_ids === 'string' ? [d.user_ids] : null;
          const query = typeof d.query === 'string' ? d.query.toLowerCase() : '';
          const members = [...guild.members.keys()].filter((id) =>
            ids ? ids.includes(id) : this.user(id).username.toLowerCase().startsWith(query),
          );
          this.send(session, GatewayDispatchEvents.GuildMembersChunk, {
            guild_id: guild.id,
            members: members.map((id) => this.memberObj(guild.id, id, { withUser: true })),
            chunk_index: 0,
            chunk_count: 1,
            not_found: ids ? ids.filter((id) => !guild.members.has(id)) : [],
            ...(d.nonce !== undefined ? { nonce: d.nonce } : {}),
          });
          break;
        }
        case GatewayOpcodes.PresenceUpdate:
        case GatewayOpcodes.VoiceStateUpdate:
          break;
        default:
          this.problem(`gateway: unexpected opcode ${JSON.stringify(p.op)}`);
      }
    });
    ws.on('close', (code: number) => {
      this.sockets.delete(ws);
      if (session && session.ws === ws) {
        session.ws = null;
        // a client closing with 1000/1001 ends its session (Discord invalidates it); others may RESUME
        if (code === 1000 || code === 1001) this.sessions.delete(session.id);
      }
    });
    ws.on('error', () => undefined);
  }

  private tokenOk(token: unknown): boolean {
    return typeof token === 'string' && (token === this.opts.token || token === `Bot ${this.opts.token}`);
  }

  private send(session: Session, t: string, d: unknown): void {
    session.seq++;
    if (t !== GatewayDispatchEvents.Ready && t !== GatewayDispatchEvents.Resumed) {
      session.history.push({ s: session.seq, t, d });
      if (session.history.length > 1000) session.history.shift();
    }
    const ws = session.ws;
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ op: GatewayOpcodes.Dispatch, t, s: session.seq, d }));
  }

  private sendReady(s: Session): void {
    this.send(s, GatewayDispatchEvents.Ready, {
      v: 10,
      user: this.userObj(this.opts.botUserId),
      user_settings: {},
      guilds: [...this.guilds.keys()].filter((id) => this.onShard(s, id)).map((id) => ({ id, unavailable: true })),
      guild_join_requests: [],
      relationships: [],
      private_channels: [],
      presences: [],
      session_id: s.id,
      session_type: 'normal',
      resume_gateway_url: this.baseUrl.replace(/^http/, 'ws') + '/gateway',
      shard: s.shard,
      application: { id: this.opts.applicationId, flags: 0 },
      geo_ordered_rtc_regions: [],
      _trace: ['fake-discord'],
    });
    if ((s.intents & GatewayIntentBits.Guilds) !== 0) {
      for (const g of this.guilds.values()) {
        if (!this.onShard(s, g.id)) continue;
        this.dispatched.push({ shard: s.shard[0], t: GatewayDispatchEvents.GuildCreate, guildId: g.id });
        this.send(s, GatewayDispatchEvents.GuildCreate, this.guildObj(g, s.intents));
      }
    }
  }

  /** Discord's shard routing: (guild_id >> 22) % num_shards. */
  private onShard(s: Session, guildId: string): boolean {
    const [id, count] = s.shard;
    if (count <= 1) return true;
    let n: bigint;
    try {
      n = BigInt(guildId);
    } catch {
      n = 0n;
    }
    return Number((n >> 22n) % BigInt(count)) === id;
  }

  /** Dispatch to every identified session whose intents (and shard) cover the event. */
  private dispatch(t: string, d: unknown | ((s: Session) => unknown), guildId?: string): void {
    const intent = EVENT_INTENT[t];
    if (intent === undefined) throw new Error(`fake-discord: no intent mapping for ${t}`);
    const gid = guildId ?? (isObj(d) && typeof d.guild_id === 'string' ? d.guild_id : undefined);
    for (const s of this.sessions.values()) {
      if (gid !== undefined && !this.onShard(s, gid)) continue;
      if (intent !== null && (s.intents & intent) === 0) continue;
      this.dispatched.push({ shard: s.shard[0], t, guildId: gid });
      this.send(s, t, typeof d === 'function' ? (d as (s: Session) => unknown)(s) : d);
    }
  }

  /** Closes every gateway connection (default code 4000 = resumable); discord.js reconnects and RESUMEs. */
  disconnectGateway(code = 4000): void {
    for (const s of this.sessions.values()) {
      if (s.ws) {
        s.ws.close(code, 'fake-discord: disconnect');
        s.ws = null; // events dispatched from now on are buffered and replayed on RESUME
      }
    }
  }

  /** Forget all sessions so that a RESUME fails with INVALID_SESSION and the bot must IDENTIFY again. */
  invalidateSessions(): void {
    this.disconnectGateway(4000);
    this.sessions.clear();
  }

  connectedSessions(): number {
    return [...this.sessions.values()].filter((s) => s.ws && s.ws.readyState === WebSocket.OPEN).length;
  }

  // =====================================================================================
  // HTTP
  // =====================================================================================

  private route(method: string, template: string, handler: Route['handler'], auth = true): void {
    this.routes.push({ method, template, segments: template.split('/'), auth, handler });
  }

  /** Segment-wise match on percent-decoded segments (discord.js sends `@original` as `%40original`). */
  private matchRoute(method: string, path: string): { route: Route; params: string[] } | undefined {
    let segs: string[];
    try {
      segs = path.split('/').map((x) => decodeURIComponent(x));
    } catch {
      return undefined;
    }
    for (const r of this.routes) {
      if (r.method !== method || r.segments.length !== segs.length) continue;
      const params: string[] = [];
      let ok = true;
      for (const [i, t] of r.segments.entries()) {
        const seg = segs[i] ?? '';
        if (t.startsWith(':')) {
          if (!seg) {
            ok = false;
            break;
          }
          params.push(seg);
        } else if (t !== seg) {
          ok = false;
          break;
        }
      }
      if (ok) return { route: r, params };
    }
    return undefined;
  }

  private rateLimitHeaders(template: string, method: string): Record<string, string> {
    return {
      'x-ratelimit-limit': '5',
      'x-ratelimit-remaining': '4',
      'x-ratelimit-reset': ((Date.now() + 1000) / 1000).toFixed(3),
      'x-ratelimit-reset-after': '1.000',
      'x-ratelimit-bucket': bucketHash(`${method} ${template}`),
    };
  }

  private async handleHttp(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', this.baseUrl);
    if (method === 'GET' && url.pathname.startsWith('/attachments/')) {
      const id = url.pathname.split('/')[2] ?? '';
      const blob = this.blobs.get(id);
      writeReply(res, blob ? { status: 200, raw: { data: blob.data, contentType: blob.contentType } } : { status: 404, body: errorBody(0, 'Not Found') });
      return;
    }
    const body = await readBody(req);
    const prefix = '/api/v10';
    if (!url.pathname.startsWith(prefix + '/')) {
      this.problem(`unknown route ${method} ${url.pathname} (expected the /api/v10 prefix)`);
      writeReply(res, { status: 404, body: errorBody(0, '404: Not Found') });
      return;
    }
    const rawPath = url.pathname.slice(prefix.length);
    const path = rawPath
      .split('/')
      .map((seg) => {
        try {
          return decodeURIComponent(seg);
        } catch {
          return seg;
        }
      })
      .join('/');
    const entry: FakeRequest = {
      method,
      path,
      body: body.json,
      at: Date.now(),
      query: url.search,
      userAgent: String(req.headers['user-agent'] ?? ''),
      ...(body.files.length ? { files: body.files.map((f) => f.filename) } : {}),
    };
    this.requests.push(entry);
    const reply = await this.dispatchHttp(method, rawPath, path, url.searchParams, body, req.headers.authorization);
    if (reply.lateMs) await new Promise((r) => setTimeout(r, reply.lateMs));
    entry.status = reply.status;
    if (reply.lost) {
      entry.lost = true; // handled, but the client never hears the answer
      dropConnection(res, reply.lost);
    } else writeReply(res, reply);
    for (const fn of reply.after ?? []) fn();
  }

  private async dispatchHttp(
    method: string,
    rawPath: string,
    path: string,
    query: URLSearchParams,
    body: ParsedBody,
    auth: string | undefined,
  ): Promise<Reply> {
    const found = this.matchRoute(method, rawPath);
    if (!found) {
      this.problem(`unknown route ${method} ${path} (answered 404)`);
      return { status: 404, body: errorBody(0, '404: Not Found') };
    }
    const { route, params } = found;
    const rl = this.rateLimitHeaders(route.template, method);
    if (route.auth) {
      if (auth !== `Bot ${this.opts.token}`) {
        this.problem(`bad auth on ${method} ${path}: ${auth === undefined ? 'no Authorization header' : 'wrong token or missing "Bot " prefix'} (answered 401)`);
        return { status: 401, body: errorBody(0, '401: Unauthorized'), headers: rl };
      }
    }
    // injected faults (faults.ts): an answer instead of the real one, a late answer, or a lost one
    const fault = this.faults.decide(method, path, `${method} ${route.template}`);
    if (fault?.kind === 'answer') return fault.reply;
    if (fault?.kind === 'slow') await new Promise((r) => setTimeout(r, fault.ms));
    if (body.errors.length) {
      for (const e of body.errors) this.problem(`${method} ${path}: ${e}`);
      return { status: 400, body: errorBody(50109, 'The request body contains invalid JSON.'), headers: rl };
    }
    const after: (() => void)[] = [];
    const reply = await route.handler({ after, method, path, query, body, params });
    return { ...reply, headers: { ...rl, ...reply.headers }, after, ...(fault?.kind === 'lost' ? { lost: fault.how } : {}), ...(fault?.kind === 'late' ? { lateMs: fault.ms } : {}) };
  }

  /** Record contract problems; returns the 400 reply to send, or null when the body is fine. */
  private contract(ctx: Ctx, issues: string[]): Reply | null {
    if (!issues.length) return null;
    for (const i of issues) this.problem(`contract: ${ctx.method} ${ctx.path}: ${i}`);
    return {
      status: 400,
      body: errorBody(50035, 'Invalid Form Body', {
        _fake_contract: { _errors: issues.map((message) => ({ code: 'BASE_TYPE_INVALID', message })) },
      }),
    };
  }

  private unknownChannel(): Reply {
    return { status: 404, body: errorBody(10003, 'Unknown Channel') };
  }
  private unknownMessage(): Reply {
    return { status: 404, body: errorBody(10008, 'Unknown Message') };
  }
  private missingPermissions(): Reply {
    return { status: 403, body: errorBody(50013, 'Missing Permissions') };
  }
  private ok(body: unknown): Reply {
    return { status: 200, body };
  }
  private noContent(): Reply {
    return { status: 204 };
  }

  private liveChannel(id: string): ChannelState | undefined {
    const ch = this.channels.get(id);
    return ch && !ch.deleted ? ch : undefined;
  }

  /** With a channel, its permission overwrites apply too. */
  private botHas(guildId: string, bits: bigint, channel?: ChannelState): boolean {
    let perms = this.memberPerms(guildId, this.opts.botUserId);
    const roleId = this.guilds.get(guildId)?.members.get(this.opts.botUserId)?.roleId;
    if (channel) perms = channelPermissions(perms, channel.overwrites, { guildId, userId: this.opts.botUserId, roleIds: roleId ? [roleId] : [] });
    return (perms & bits) === bits;
  }

  private findMessage(channelId: string, messageId: string): MsgRecord | undefined {
    const rec = this.messagesById.get(messageId);
    return rec && !rec.deleted && rec.msg.channelId === channelId ? rec : undefined;
  }

  private buildRoutes(): void {
    const app = this.opts.applicationId;
    const wsUrl = () => this.baseUrl.replace(/^http/, 'ws') + '/gateway';

    this.route('GET', '/gateway', () => this.ok({ url: wsUrl() }), false);
    this.route('GET', '/gateway/bot', () =>
      this.ok({ url: wsUrl(), shards: this.opts.shardCount ?? 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 86_400_000, max_concurrency: this.opts.maxConcurrency ?? 1 } }),
    );
    this.route('GET', '/users/@me', () => this.ok(this.userObj(this.opts.botUserId)));
    this.route('GET', '/users/:user', (c) => (this.users.has(c.params[0] ?? '') ? this.ok(this.userObj(c.params[0] ?? '')) : { status: 404, body: errorBody(10013, 'Unknown User') }));
    const application = () =>
      this.ok({
        id: app,
        name: this.opts.botUsername ?? 'Herald',
        icon: null,
        description: '',
        summary: '',
        type: null,
        bot_public: true,
        bot_require_code_grant: false,
        verify_key: 'f'.repeat(64),
        flags: 0,
        owner: this.userObj(this.opts.botUserId),
        team: null,
        bot: this.userObj(this.opts.botUserId),
        approximate_guild_count: this.guilds.size,
      });
    this.route('GET', '/applications/@me', application);
    this.route('GET', '/oauth2/applications/@me', application);

    // ---------------- commands ----------------
    const scopeOf = (c: Ctx, guildIdx: number | null): { scope: string; err?: Reply } => {
      if (c.params[0] !== app) {
        this.problem(`${c.method} ${c.path}: application id ${c.params[0]} is not ${app}`);
        return { scope: '', err: { status: 403, body: errorBody(50001, 'Missing Access') } };
      }
      if (guildIdx === null) return { scope: '' };
      const g = c.params[guildIdx] ?? '';
      if (!this.guilds.has(g)) {
        this.problem(`${c.method} ${c.path}: the bot is not in guild ${g}`);
        return { scope: g, err: { status: 403, body: errorBody(50001, 'Missing Access') } };
      }
      return { scope: g };
    };
    const toCommand = (body: Json, scope: string, existing: Json | undefined): Json => ({
      ...body,
      id: (existing?.id as string | undefined) ?? snowflake(),
      application_id: app,
      version: snowflake(),
      type: body.type ?? 1,
      description: body.description ?? '',
      default_member_permissions: body.default_member_permissions ?? null,
      nsfw: body.nsfw ?? false,
      ...(scope ? { guild_id: scope } : {}),
    });
    const list = (scope: string) => this.commands.get(scope) ?? [];
    for (const [base, guildIdx] of [
      ['/applications/:app/commands', null],
      ['/applications/:app/guilds/:guild/commands', 1],
    ] as const) {
      this.route('GET', base, (c) => {
        const s = scopeOf(c, guildIdx);
        return s.err ?? this.ok(list(s.scope));
      });
      this.route('PUT', base, (c) => {
        const s = scopeOf(c, guildIdx);
        if (s.err) return s.err;
        const bad = this.contract(c, checkCommandsBulk(c.body.json));
        if (bad) return bad;
        const old = list(s.scope);
        const next = (c.body.json as Json[]).map((b) => toCommand(b, s.scope, old.find((o) => o.name === b.name && o.type === (b.type ?? 1))));
        this.commands.set(s.scope, next);
        return this.ok(next);
      });
      this.route('POST', base, (c) => {
        const s = scopeOf(c, guildIdx);
        if (s.err) return s.err;
        const bad = this.contract(c, checkCommandCreate(c.body.json));
        if (bad) return bad;
        const b = c.body.json as Json;
        const cur = list(s.scope);
        const existing = cur.find((o) => o.name === b.name && o.type === (b.type ?? 1));
        const cmd = toCommand(b, s.scope, existing);
        this.commands.set(s.scope, existing ? cur.map((o) => (o === existing ? cmd : o)) : [...cur, cmd]);
        return { status: existing ? 200 : 201, body: cmd };
      });
      this.route('GET', `${base}/:cmd`, (c) => {
        const s = scopeOf(c, guildIdx);
        if (s.err) return s.err;
        const cmd = list(s.scope).find((o) => o.id === c.params[c.params.length - 1]);
        return cmd ? this.ok(cmd) : { status: 404, body: errorBody(10063, 'Unknown application command') };
      });
      this.route('PATCH', `${base}/:cmd`, (c) => {
        const s = scopeOf(c, guildIdx);
        if (s.err) return s.err;
        const bad = this.contract(c, checkCommandPatch(c.body.json));
        if (bad) return bad;
        const cur = list(s.scope);
        const cmd = cur.find((o) => o.id === c.params[c.params.length - 1]);
        if (!cmd) return { status: 404, body: errorBody(10063, 'Unknown application command') };
        const next = { ...cmd, ...(c.body.json as Json), id: cmd.id, version: snowflake() };
        this.commands.set(s.scope, cur.map((o) => (o === cmd ? next : o)));
        return this.ok(next);
      });
      this.route('DELETE', `${base}/:cmd`, (c) => {
        const s = scopeOf(c, guildIdx);
        if (s.err) return s.err;
        const cur = list(s.scope);
        const id = c.params[c.params.length - 1];
        if (!cur.some((o) => o.id === id)) return { status: 404, body: errorBody(10063, 'Unknown application command') };
        this.commands.set(s.scope, cur.filter((o) => o.id !== id));
        return this.noContent();
      });
    }

    // ---------------- guilds & channels ----------------
    this.route('GET', '/guilds/:guild', (c) => {
      const g = this.guilds.get(c.params[0] ?? '');
      if (!g) return { status: 404, body: errorBody(10004, 'Unknown Guild') };
      const o = this.guildObj(g, null);
      for (const k of ['joined_at', 'large', 'unavailable', 'member_count', 'voice_states', 'members', 'channels', 'threads', 'presences', 'stage_instances', 'guild_scheduled_events', 'soundboard_sounds']) delete o[k];
      return this.ok(o);
    });
    this.route('GET', '/guilds/:guild/channels', (c) => {
      const g = this.guilds.get(c.params[0] ?? '');
      if (!g) return { status: 404, body: errorBody(10004, 'Unknown Guild') };
      return this.ok(g.channelIds.map((id) => this.liveChannel(id)).filter((x): x is ChannelState => !!x).map((x) => this.channelObj(x)));
    });
    this.route('GET', '/guilds/:guild/roles', (c) => {
      const g = this.guilds.get(c.params[0] ?? '');
      return g ? this.ok(g.roles) : { status: 404, body: errorBody(10004, 'Unknown Guild') };
    });
    this.route('GET', '/guilds/:guild/members/:user', (c) => {
      const m = this.memberObj(c.params[0] ?? '', c.params[1] ?? '', { withUser: true });
      if (!this.guilds.has(c.params[0] ?? '')) return { status: 404, body: errorBody(10004, 'Unknown Guild') };
      return m ? this.ok(m) : { status: 404, body: errorBody(10007, 'Unknown Member') };
    });
    this.route('GET', '/channels/:channel', (c) => {
      const ch = this.liveChannel(c.params[0] ?? '');
      return ch ? this.ok(this.channelObj(ch)) : this.unknownChannel();
    });
    this.route('POST', '/channels/:channel/typing', (c) => (this.liveChannel(c.params[0] ?? '') ? this.noContent() : this.unknownChannel()));

    // ---------------- messages ----------------
    this.route('GET', '/channels/:channel/messages', (c) => {
      const ch = this.liveChannel(c.params[0] ?? '');
      if (!ch) return this.unknownChannel();
      if (!this.botHas(ch.guildId, PermissionFlagsBits.ViewChannel | PermissionFlagsBits.ReadMessageHistory)) return this.missingPermissions();
      let msgs = [...(this.channelMessages.get(ch.id) ?? [])].filter((r) => !r.deleted).reverse(); // newest first
      const before = c.query.get('before');
      const after = c.query.get('after');
      if (before) msgs = msgs.filter((r) => BigInt(r.msg.id) < BigInt(before));
      if (after) msgs = msgs.filter((r) => BigInt(r.msg.id) > BigInt(after));
      const limit = Math.min(100, Number(c.query.get('limit') ?? 50));
      return this.ok(msgs.slice(0, limit).map((r) => this.messageObj(r)));
    });
    this.route('POST', '/channels/:channel/messages', (c) => this.createMessage(c));
    this.route('GET', '/channels/:channel/messages/:message', (c) => {
      if (!this.liveChannel(c.params[0] ?? '')) return this.unknownChannel();
      const rec = this.findMessage(c.params[0] ?? '', c.params[1] ?? '');
      return rec ? this.ok(this.messageObj(rec)) : this.unknownMessage();
    });
    this.route('PATCH', '/channels/:channel/messages/:message', (c) => this.editChannelMessage(c));
    this.route('DELETE', '/channels/:channel/messages/:message', (c) => {
      const ch = this.liveChannel(c.params[0] ?? '');
      if (!ch) return this.unknownChannel();
      const rec = this.findMessage(ch.id, c.params[1] ?? '');
      if (!rec) return this.unknownMessage();
      if (rec.msg.authorId !== this.opts.botUserId && !this.botHas(ch.guildId, PermissionFlagsBits.ManageMessages)) return this.missingPermissions();
      this.removeMessage(rec);
      return this.noContent();
    });

    // ---------------- reactions ----------------
    const reactionTarget = (c: Ctx): { rec?: MsgRecord; ch?: ChannelState; err?: Reply } => {
      const ch = this.liveChannel(c.params[0] ?? '');
      if (!ch) return { err: this.unknownChannel() };
      const rec = this.findMessage(ch.id, c.params[1] ?? '');
      if (!rec) return { err: this.unknownMessage() };
      return { rec, ch };
    };
    this.route('PUT', '/channels/:channel/messages/:message/reactions/:emoji/@me', (c) => {
      const t = reactionTarget(c);
      if (t.err || !t.rec || !t.ch) return t.err ?? this.unknownMessage();
      const emoji = parseEmoji(c.params[2] ?? '');
      const existing = t.rec.msg.reactions.get(emoji.name);
      const needsAdd = !existing || existing.size === 0;
      if (!this.botHas(t.ch.guildId, PermissionFlagsBits.ReadMessageHistory | (needsAdd ? PermissionFlagsBits.AddReactions : 0n))) return this.missingPermissions();
      this.applyReaction(t.rec, this.opts.botUserId, emoji, true);
      return this.noContent();
    });
    this.route('DELETE', '/channels/:channel/messages/:message/reactions/:emoji/@me', (c) => {
      const t = reactionTarget(c);
      if (t.err || !t.rec) return t.err ?? this.unknownMessage();
      this.applyReaction(t.rec, this.opts.botUserId, parseEmoji(c.params[2] ?? ''), false);
      return this.noContent();
    });
    this.route('DELETE', '/channels/:channel/messages/:message/reactions/:emoji/:user', (c) => {
      const t = reactionTarget(c);
      if (t.err || !t.rec || !t.ch) return t.err ?? this.unknownMessage();
      const userId = c.params[3] ?? '';
      if (userId !== this.opts.botUserId && !this.botHas(t.ch.guildId, PermissionFlagsBits.ManageMessages)) return this.missingPermissions();
      this.applyReaction(t.rec, userId, parseEmoji(c.params[2] ?? ''), false);
      return this.noContent();
    });
    this.route('GET', '/channels/:channel/messages/:message/reactions/:emoji', (c) => {
      const t = reactionTarget(c);
      if (t.err || !t.rec) return t.err ?? this.unknownMessage();
      const set = t.rec.msg.reactions.get(parseEmoji(c.params[2] ?? '').name) ?? new Set<string>();
      let ids = [...set].sort((a, b) => (a < b ? -1 : 1));
      const after = c.query.get('after');
      if (after) ids = ids.filter((id) => id > after);
      const limit = Math.min(100, Number(c.query.get('limit') ?? 25));
      return this.ok(ids.slice(0, limit).map((id) => this.userObj(id)));
    });
    this.route('DELETE', '/channels/:channel/messages/:message/reactions/:emoji', (c) => {
      const t = reactionTarget(c);
      if (t.err || !t.rec || !t.ch) return t.err ?? this.unknownMessage();
      if (!this.botHas(t.ch.guildId, PermissionFlagsBits.ManageMessages)) return this.missingPermissions();
      const emoji = parseEmoji(c.params[2] ?? '');
      t.rec.msg.reactions.delete(emoji.name);
      this.dispatch(GatewayDispatchEvents.MessageReactionRemoveEmoji, {
        channel_id: t.ch.id,
        guild_id: t.ch.guildId,
        message_id: t.rec.msg.id,
        emoji: t.rec.emojis.get(emoji.name) ?? emoji,
      });
      return this.noContent();
    });
    this.route('DELETE', '/channels/:channel/messages/:message/reactions', (c) => {
      const t = reactionTarget(c);
      if (t.err || !t.rec || !t.ch) return t.err ?? this.unknownMessage();
      if (!this.botHas(t.ch.guildId, PermissionFlagsBits.ManageMessages)) return this.missingPermissions();
      t.rec.msg.reactions.clear();
      this.dispatch(GatewayDispatchEvents.MessageReactionRemoveAll, { channel_id: t.ch.id, guild_id: t.ch.guildId, message_id: t.rec.msg.id });
      return this.noContent();
    });

    // ---------------- interactions & webhooks (no Authorization header) ----------------
    this.route('POST', '/interactions/:id/:token/callback', (c) => this.interactionCallback(c), false);
    const wh = '/webhooks/:app/:token';
    this.route('POST', wh, (c) => this.webhookExecute(c), false);
    this.route('GET', `${wh}/messages/@original`, (c) => this.webhookGet(c, '@original'), false);
    this.route('PATCH', `${wh}/messages/@original`, (c) => this.webhookEdit(c, '@original'), false);
    this.route('DELETE', `${wh}/messages/@original`, (c) => this.webhookDelete(c, '@original'), false);
    this.route('GET', `${wh}/messages/:message`, (c) => this.webhookGet(c, c.params[2] ?? ''), false);
    this.route('PATCH', `${wh}/messages/:message`, (c) => this.webhookEdit(c, c.params[2] ?? ''), false);
    this.route('DELETE', `${wh}/messages/:message`, (c) => this.webhookDelete(c, c.params[2] ?? ''), false);
  }

  // =====================================================================================
  // messages
  // =====================================================================================

  private storeFiles(channelId: string, files: UploadedFile[], body: unknown): FakeAttachment[] {
    // body.attachments: [{id: '0', description}, ...] where id is the index of files[n]
    const meta = isObj(body) && Array.isArray(body.attachments) ? body.attachments.filter(isObj) : [];
    return files.map((f, i) => {
      const idx = /^files\[(\d+)\]$/.exec(f.field)?.[1] ?? String(i);
      const m = meta.find((a) => String(a.id) === idx);
      const id = snowflake();
      const filename = typeof m?.filename === 'string' ? m.filename : f.filename;
      this.blobs.set(id, { data: f.data, contentType: f.contentType, filename });
      return {
        id,
        filename,
        data: f.data,
        contentType: f.contentType,
        url: `${this.baseUrl}/attachments/${id}/${encodeURIComponent(filename)}?channel=${channelId}`,
        ...(typeof m?.description === 'string' ? { description: m.description } : {}),
      };
    });
  }

  /** attachments after an edit: the kept ones listed in body.attachments (by id) + newly uploaded files */
  private editedAttachments(channelId: string, current: FakeAttachment[], body: Json, files: UploadedFile[]): FakeAttachment[] {
    const uploaded = this.storeFiles(channelId, files, body);
    if (!Array.isArray(body.attachments)) return files.length ? [...current, ...uploaded] : current;
    const keepIds = new Set(body.attachments.filter(isObj).map((a) => String(a.id)));
    return [...current.filter((a) => keepIds.has(a.id)), ...uploaded];
  }

  private newRecord(channelId: string, guildId: string | undefined, authorId: string, body: Json, attachments: FakeAttachment[], type = 0): MsgRecord {
    const msg: FakeMessage = {
      id: snowflake(),
      channelId,
      authorId,
      content: typeof body.content === 'string' ? body.content : '',
      embeds: Array.isArray(body.embeds) ? body.embeds : [],
      flags: typeof body.flags === 'number' ? body.flags : 0,
      allowedMentions: body.allowed_mentions,
      reactions: new Map(),
      editedCount: 0,
      attachments,
      ...(body.nonce !== undefined && body.nonce !== null ? { nonce: body.nonce as string | number } : {}),
      ...(body.message_reference !== undefined ? { messageReference: body.message_reference } : {}),
    };
    const rec: MsgRecord = {
      msg,
      guildId,
      type,
      timestamp: new Date().toISOString(),
      editedTimestamp: null,
      emojis: new Map(),
      deleted: false,
    };
    this.messagesById.set(msg.id, rec);
    return rec;
  }

  private addToChannel(rec: MsgRecord): void {
    const list = this.channelMessages.get(rec.msg.channelId) ?? [];
    list.push(rec);
    this.channelMessages.set(rec.msg.channelId, list);
    const ch = this.channels.get(rec.msg.channelId);
    if (ch) ch.lastMessageId = rec.msg.id;
    this.dispatch(GatewayDispatchEvents.MessageCreate, (s: Session) => {
      const o = this.messageObj(rec);
      const member = rec.guildId ? this.memberObj(rec.guildId, rec.msg.authorId, { withUser: false }) : undefined;
      const hidden =
        rec.msg.authorId !== this.opts.botUserId &&
        (s.intents & GatewayIntentBits.MessageContent) === 0 &&
        !rec.msg.content.includes(`<@${this.opts.botUserId}>`);
      return {
        ...o,
        ...(member ? { member } : {}),
        ...(hidden ? { content: '', embeds: [], attachments: [], components: [] } : {}),
      };
    }, rec.guildId);
    this.notifyWaiters(rec.msg, false);
  }

  private createMessage(c: Ctx): Reply {
    const ch = this.liveChannel(c.params[0] ?? '');
    if (!ch) return this.unknownChannel();
    if (!this.botHas(ch.guildId, PermissionFlagsBits.ViewChannel, ch)) return { status: 403, body: errorBody(50001, 'Missing Access') };
    if (!TEXT_TYPES.has(ch.type)) return { status: 400, body: errorBody(50008, 'Cannot send messages in a non-text channel') };
    if (!this.botHas(ch.guildId, PermissionFlagsBits.SendMessages, ch)) return this.missingPermissions();
    if (c.body.files.length && !this.botHas(ch.guildId, PermissionFlagsBits.AttachFiles)) return this.missingPermissions();
    const bad = this.contract(c, checkMessageCreate(c.body.json, c.body.files.length > 0));
    if (bad) return bad;
    const body = (c.body.json ?? {}) as Json;
    // enforce_nonce: a repeated nonce (within a few minutes) returns the message that already exists
    const nonceKey = NonceRegistry.key(body, this.opts.botUserId, ch.id);
    const prior = nonceKey ? this.nonces.find(nonceKey, (r) => !r.deleted) : undefined;
    if (prior) return this.ok(this.messageObj(prior));
    const rec = this.newRecord(ch.id, ch.guildId, this.opts.botUserId, body, this.storeFiles(ch.id, c.body.files, body));
    if (nonceKey) this.nonces.remember(nonceKey, rec);
    this.addToChannel(rec);
    return this.ok(this.messageObj(rec));
  }

  private applyEdit(rec: MsgRecord, body: Json, files: UploadedFile[]): void {
    const m = rec.msg;
    if ('content' in body) m.content = typeof body.content === 'string' ? body.content : '';
    if ('embeds' in body) m.embeds = Array.isArray(body.embeds) ? body.embeds : [];
    if (typeof body.flags === 'number') m.flags = body.flags;
    if ('allowed_mentions' in body) m.allowedMentions = body.allowed_mentions;
    if ('attachments' in body || files.length) m.attachments = this.editedAttachments(m.channelId, m.attachments, body, files);
    m.editedCount++;
    rec.editedTimestamp = new Date().toISOString();
  }

  private editChannelMessage(c: Ctx): Reply {
    const ch = this.liveChannel(c.params[0] ?? '');
    if (!ch) return this.unknownChannel();
    const rec = this.findMessage(ch.id, c.params[1] ?? '');
    if (!rec) return this.unknownMessage();
    const bad = this.contract(c, checkMessageEdit(c.body.json));
    if (bad) return bad;
    const body = (c.body.json ?? {}) as Json;
    if (rec.msg.authorId !== this.opts.botUserId) {
      const onlyFlags = Object.keys(body).every((k) => k === 'flags');
      if (!onlyFlags || !this.botHas(ch.guildId, PermissionFlagsBits.ManageMessages)) {
        return { status: 403, body: errorBody(50005, 'Cannot edit a message authored by another user') };
      }
    }
    this.applyEdit(rec, body, c.body.files);
    this.dispatch(GatewayDispatchEvents.MessageUpdate, () => ({
      ...this.messageObj(rec),
      ...(rec.guildId ? { member: this.memberObj(rec.guildId, rec.msg.authorId, { withUser: false }) } : {}),
    }), rec.guildId);
    this.notifyWaiters(rec.msg, true);
    return this.ok(this.messageObj(rec));
  }

  private removeMessage(rec: MsgRecord): void {
    rec.deleted = true;
    const list = this.channelMessages.get(rec.msg.channelId);
    if (list) this.channelMessages.set(rec.msg.channelId, list.filter((r) => r !== rec));
    this.dispatch(GatewayDispatchEvents.MessageDelete, {
      id: rec.msg.id,
      channel_id: rec.msg.channelId,
      ...(rec.guildId ? { guild_id: rec.guildId } : {}),
    });
  }

  private applyReaction(rec: MsgRecord, userId: string, emoji: { id: string | null; name: string; animated?: boolean }, add: boolean): void {
    const m = rec.msg;
    let set = m.reactions.get(emoji.name);
    if (add) {
      if (!set) {
        set = new Set();
        m.reactions.set(emoji.name, set);
      }
      if (!rec.emojis.has(emoji.name)) rec.emojis.set(emoji.name, emoji);
      if (set.has(userId)) return; // Discord sends nothing for a repeated reaction
      set.add(userId);
      this.dispatch(GatewayDispatchEvents.MessageReactionAdd, {
        user_id: userId,
        channel_id: m.channelId,
        message_id: m.id,
        ...(rec.guildId ? { guild_id: rec.guildId } : {}),
        ...(rec.guildId && this.memberObj(rec.guildId, userId, { withUser: true })
          ? { member: this.memberObj(rec.guildId, userId, { withUser: true }) }
          : {}),
        emoji: rec.emojis.get(emoji.name) ?? emoji,
        message_author_id: m.authorId,
        burst: false,
        burst_colors: [],
        type: 0,
      });
    } else {
      if (!set || !set.has(userId)) return;
      set.delete(userId);
      if (set.size === 0) m.reactions.delete(emoji.name);
      this.dispatch(GatewayDispatchEvents.MessageReactionRemove, {
        user_id: userId,
        channel_id: m.channelId,
        message_id: m.id,
        ...(rec.guildId ? { guild_id: rec.guildId } : {}),
        emoji: rec.emojis.get(emoji.name) ?? emoji,
        burst: false,
        type: 0,
      });
    }
  }

  // =====================================================================================
  // interactions
  // =====================================================================================

  private interactionFor(c: Ctx, byToken: boolean): { st?: InteractionState; err?: Reply } {
    let st: InteractionState | undefined;
    if (byToken) {
      if (c.params[0] !== this.opts.applicationId) {
        this.problem(`${c.method} ${c.path}: webhook id ${c.params[0]} is not the application id`);
        return { err: { status: 404, body: errorBody(10015, 'Unknown Webhook') } };
      }
      st = this.interactionsByToken.get(c.params[1] ?? '');
    } else {
      st = this.interactions.get(c.params[0] ?? '');
      if (st && st.token !== c.params[1]) st = undefined;
    }
    if (!st) {
      this.problem(`${c.method} ${c.path}: unknown interaction`);
      return { err: { status: 404, body: errorBody(byToken ? 10015 : 10062, byToken ? 'Unknown Webhook' : 'Unknown interaction') } };
    }
    return { st };
  }

  private interactionCallback(c: Ctx): Reply {
    const { st, err } = this.interactionFor(c, false);
    if (!st) return err ?? this.unknownMessage();
    const age = Date.now() - st.createdAt;
    if (st.callbackType !== null) {
      this.problem(`${c.method} ${c.path}: interaction /${st.name} acknowledged twice`);
      return { status: 400, body: errorBody(40060, 'Interaction has already been acknowledged.') };
    }
    if (age > this.opts.interactionAckTimeoutMs) {
      this.problem(`${c.method} ${c.path}: interaction /${st.name} acknowledged after ${age} ms (Discord allows ${this.opts.interactionAckTimeoutMs} ms)`);
      return { status: 404, body: errorBody(10062, 'Unknown interaction') };
    }
    const wr = c.query.get('with_response');
    if (wr !== null && wr !== 'true' && wr !== 'false') this.problem(`${c.method} ${c.path}: with_response=${wr}`);
    const bad = this.contract(c, checkInteractionCallback(c.body.json, c.body.files.length > 0));
    if (bad) return bad;
    const body = c.body.json as Json;
    const type = body.type as number;
    const data = isObj(body.data) ? body.data : {};
    if (st.kind === 'autocomplete') {
      if (type !== InteractionResponseType.ApplicationCommandAutocompleteResult) {
        this.problem(`${c.method} ${c.path}: autocomplete interaction answered with callback type ${type}`);
        return { status: 400, body: errorBody(50035, 'Invalid Form Body') };
      }
      st.callbackType = type;
      const choices = Array.isArray(data.choices) ? data.choices : [];
      const out = choices.filter(isObj).map((ch) => ({ name: String(ch.name), value: ch.value as string | number }));
      c.after.push(() => st.settle(out));
      return wr === 'true' ? this.ok({ interaction: this.callbackInteraction(st) }) : this.noContent();
    }
    if (type !== InteractionResponseType.ChannelMessageWithSource && type !== InteractionResponseType.DeferredChannelMessageWithSource) {
      this.problem(`${c.method} ${c.path}: callback type ${type} is not supported for slash commands by the fake`);
      return { status: 400, body: errorBody(50035, 'Invalid Form Body') };
    }
    st.callbackType = type;
    const flags = typeof data.flags === 'number' ? data.flags : 0;
    const ephemeral = (flags & MessageFlags.Ephemeral) !== 0;
    const deferred = type === InteractionResponseType.DeferredChannelMessageWithSource;
    const rec = this.newRecord(
      st.channelId,
      st.guildId,
      this.opts.botUserId,
      deferred ? { flags: flags | MessageFlags.Loading } : data,
      deferred ? [] : this.storeFiles(st.channelId, c.body.files, data),
      20,
    );
    rec.interaction = st;
    st.original = rec;
    st.reply = {
      type: deferred ? 'deferred' : 'message',
      content: rec.msg.content,
      embeds: rec.msg.embeds,
      ephemeral,
      files: rec.msg.attachments.map((a) => ({ filename: a.filename, data: a.data })),
      followUps: [],
      messageId: rec.msg.id,
      editedCount: 0,
      deleted: false,
    };
    const reply = st.reply;
    if (!deferred) c.after.push(() => st.settle(reply));
    if (wr === 'true') {
      return this.ok({
        interaction: this.callbackInteraction(st),
        resource: { type, message: this.messageObj(rec) },
      });
    }
    return this.noContent();
  }

  private callbackInteraction(st: InteractionState): Json {
    return {
      id: st.id,
      type: st.kind === 'autocomplete' ? InteractionType.ApplicationCommandAutocomplete : InteractionType.ApplicationCommand,
      response_message_id: st.original?.msg.id ?? null,
      response_message_loading: st.callbackType === InteractionResponseType.DeferredChannelMessageWithSource,
      response_message_ephemeral: st.reply?.ephemeral ?? false,
    };
  }

  private webhookTarget(c: Ctx, which: string): { st?: InteractionState; rec?: MsgRecord; follow?: InteractionFollowUp; err?: Reply } {
    const { st, err } = this.interactionFor(c, true);
    if (!st) return { err };
    if (st.callbackType === null || !st.original) {
      this.problem(`${c.method} ${c.path}: /${st.name} has not been acknowledged yet`);
      return { err: this.unknownMessage() };
    }
    if (which === '@original' || which === st.original.msg.id) {
      return st.original.deleted ? { err: this.unknownMessage() } : { st, rec: st.original };
    }
    const f = st.followUps.get(which);
    if (!f || f.rec.deleted) return { err: this.unknownMessage() };
    return { st, rec: f.rec, follow: f.entry };
  }

  private webhookGet(c: Ctx, which: string): Reply {
    const t = this.webhookTarget(c, which);
    return t.rec ? this.ok(this.messageObj(t.rec)) : (t.err ?? this.unknownMessage());
  }

  private webhookDelete(c: Ctx, which: string): Reply {
    const t = this.webhookTarget(c, which);
    if (!t.rec || !t.st) return t.err ?? this.unknownMessage();
    t.rec.deleted = true;
    if (t.rec === t.st.original && t.st.reply) t.st.reply.deleted = true;
    if (t.follow) t.st.reply?.followUps.splice(t.st.reply.followUps.indexOf(t.follow), 1);
    return this.noContent();
  }

  private webhookEdit(c: Ctx, which: string): Reply {
    const t = this.webhookTarget(c, which);
    if (!t.rec || !t.st) return t.err ?? this.unknownMessage();
    const bad = this.contract(c, checkWebhookEdit(c.body.json));
    if (bad) return bad;
    const body = (c.body.json ?? {}) as Json;
    const st = t.st;
    const rec = t.rec;
    const wasLoading = (rec.msg.flags & MessageFlags.Loading) !== 0;
    this.applyEdit(rec, body, c.body.files);
    rec.msg.flags &= ~MessageFlags.Loading;
    if (rec === st.original && st.reply) {
      this.syncReply(st.reply, rec);
      const reply = st.reply;
      if (wasLoading && !st.settled) c.after.push(() => st.settle(reply));
      else st.reply.editedCount++;
    } else if (t.follow) {
      t.follow.content = rec.msg.content;
      t.follow.embeds = rec.msg.embeds;
    }
    return this.ok(this.messageObj(rec));
  }

  private syncReply(reply: InteractionReply, rec: MsgRecord): void {
    reply.content = rec.msg.content;
    reply.embeds = rec.msg.embeds;
    reply.files = rec.msg.attachments.map((a) => ({ filename: a.filename, data: a.data }));
  }

  private webhookExecute(c: Ctx): Reply {
    const { st, err } = this.interactionFor(c, true);
    if (!st) return err ?? this.unknownMessage();
    if (st.callbackType === null || !st.original || !st.reply) {
      this.problem(`${c.method} ${c.path}: followUp before /${st.name} was acknowledged`);
      return { status: 404, body: errorBody(10015, 'Unknown Webhook') };
    }
    if (c.query.get('wait') !== 'true') this.problem(`${c.method} ${c.path}: webhook execute without wait=true returns no message`);
    const bad = this.contract(c, checkWebhookExecute(c.body.json, c.body.files.length > 0));
    if (bad) return bad;
    const body = (c.body.json ?? {}) as Json;
    const original = st.original;
    if ((original.msg.flags & MessageFlags.Loading) !== 0 && !original.deleted) {
      // The first followUp after a deferral replaces the "thinking…" original (Discord behaviour).
      this.applyEdit(original, body, c.body.files);
      original.msg.editedCount = 0;
      original.msg.flags &= ~MessageFlags.Loading;
      this.syncReply(st.reply, original);
      const reply = st.reply;
      if (!st.settled) c.after.push(() => st.settle(reply));
      return this.ok(this.messageObj(original));
    }
    const rec = this.newRecord(st.channelId, st.guildId, this.opts.botUserId, body, this.storeFiles(st.channelId, c.body.files, body), 20);
    rec.interaction = st;
    const entry: InteractionFollowUp = {
      id: rec.msg.id,
      content: rec.msg.content,
      embeds: rec.msg.embeds,
      ephemeral: (rec.msg.flags & MessageFlags.Ephemeral) !== 0,
    };
    st.followUps.set(rec.msg.id, { rec, entry });
    st.reply.followUps.push(entry);
    return this.ok(this.messageObj(rec));
  }

  private findCommandDef(guildId: string, name: string): Json | undefined {
    const match = (o: Json) => o.name === name && (o.type ?? 1) === 1;
    return (this.commands.get(guildId) ?? []).find(match) ?? (this.commands.get('') ?? []).find(match);
  }

  private buildInteraction(kind: 'command' | 'autocomplete', o: CommandRunOptions & { focused?: string }): { payload: Json; st: InteractionState; promise: Promise<unknown> } {
    const guild = this.guilds.get(o.guildId);
    if (!guild) throw new Error(`fake-discord: unknown guild ${o.guildId}`);
    const ch = this.channels.get(o.channelId);
    if (!ch || ch.guildId !== guild.id) throw new Error(`fake-discord: channel ${o.channelId} is not in guild ${o.guildId}`);
    if (ch.deleted) throw new Error(`fake-discord: channel ${o.channelId} was deleted`);
    if (!guild.members.has(o.userId)) throw new Error(`fake-discord: user ${o.userId} is not a member of guild ${o.guildId}`);

    const def = this.findCommandDef(guild.id, o.name);
    const resolved: { users: Json; members: Json; channels: Json; roles: Json; attachments: Json } = {
      users: {},
      members: {},
      channels: {},
      roles: {},
      attachments: {},
    };
    // walk down to the leaf option definitions
    const path = (o.subcommand ?? '').split(/\s+/).filter(Boolean);
    let defs: Json[] | undefined = def ? ((def.options as Json[] | undefined) ?? []) : undefined;
    const containers: { type: number; name: string }[] = [];
    for (const [i, part] of path.entries()) {
      const wantType = i === path.length - 1 ? ApplicationCommandOptionType.Subcommand : ApplicationCommandOptionType.SubcommandGroup;
      if (defs) {
        const d = defs.find((x) => x.name === part && x.type === wantType);
        if (!d) throw new Error(`fake-discord: /${o.name} has no ${wantType === 1 ? 'subcommand' : 'subcommand group'} "${part}"`);
        defs = (d.options as Json[] | undefined) ?? [];
      }
      containers.push({ type: wantType, name: part });
    }
    if (defs && path.length === 0 && defs.some((x) => x.type === 1 || x.type === 2)) {
      throw new Error(`fake-discord: /${o.name} needs a subcommand`);
    }
    const leaf: Json[] = [];
    const given = { ...(o.options ?? {}) };
    if (kind === 'autocomplete' && o.focused && !(o.focused in given)) given[o.focused] = '';
    for (const [name, raw] of Object.entries(given)) {
      const d = defs?.find((x) => x.name === name);
      if (defs && !d) throw new Error(`fake-discord: /${o.name} ${o.subcommand ?? ''} has no option "${name}"`);
      const type = (d?.type as number | undefined) ?? inferType(raw);
      const focused = kind === 'autocomplete' && name === o.focused;
      leaf.push({ name, type, value: focused ? String(raw) : this.optionValue(type, raw, name, guild.id, resolved), ...(focused ? { focused: true } : {}) });
    }
    if (defs && kind === 'command') {
      const missing = defs.filter((x) => x.required === true && !(String(x.name) in given)).map((x) => String(x.name));
      if (missing.length) throw new Error(`fake-discord: /${o.name} is missing required option(s) ${missing.join(', ')}`);
    }
    let options: Json[] = leaf;
    for (const c of [...containers].reverse()) options = [{ type: c.type, name: c.name, options }];

    const resolvedOut = Object.fromEntries(Object.entries(resolved).filter(([, v]) => Object.keys(v).length > 0));
    const id = snowflake();
    const token = `fake.${randomBytes(24).toString('base64url')}`;
    const memberPerms = this.memberPerms(guild.id, o.userId).toString();
    const payload: Json = {
      id,
      application_id: this.opts.applicationId,
      type: kind === 'command' ? InteractionType.ApplicationCommand : InteractionType.ApplicationCommandAutocomplete,
      token,
      version: 1,
      data: {
        id: (def?.id as string | undefined) ?? snowflake(),
        name: o.name,
        type: 1,
        ...(options.length ? { options } : {}),
        ...(Object.keys(resolvedOut).length ? { resolved: resolvedOut } : {}),
        ...(def?.guild_id ? { guild_id: def.guild_id } : {}),
      },
      guild_id: guild.id,
      guild: { id: guild.id, locale: 'en-US', features: [] },
      channel_id: ch.id,
      channel: { ...this.channelObj(ch), permissions: memberPerms },
      member: this.memberObj(guild.id, o.userId, { withUser: true, withPermissions: true }),
      app_permissions: this.memberPerms(guild.id, this.opts.botUserId).toString(),
      locale: 'en-US',
      guild_locale: 'en-US',
      entitlements: [],
      authorizing_integration_owners: { '0': guild.id },
      context: 0,
      attachment_size_limit: 10 * 1024 * 1024,
    };
    let settle!: (v: unknown) => void;
    let fail!: (e: Error) => void;
    const promise = new Promise<unknown>((res, rej) => {
      settle = res;
      fail = rej;
    });
    const st: InteractionState = {
      id,
      token,
      kind,
      guildId: guild.id,
      channelId: ch.id,
      userId: o.userId,
      name: o.name,
      createdAt: Date.now(),
      callbackType: null,
      reply: null,
      original: null,
      followUps: new Map(),
      settled: false,
      settle: () => undefined,
      fail: () => undefined,
    };
    const timeoutMs = o.timeoutMs ?? 20_000;
    const timer = setTimeout(() => {
      const sessions = this.connectedSessions();
      st.fail(
        new Error(
          `fake-discord: the bot did not answer ${kind === 'autocomplete' ? 'autocomplete for' : ''} /${o.name}${o.subcommand ? ' ' + o.subcommand : ''} within ${timeoutMs} ms` +
            (st.callbackType === InteractionResponseType.DeferredChannelMessageWithSource ? ' (it deferred but never edited the reply)' : '') +
            (sessions === 0 ? ' — no gateway session is connected' : ''),
        ),
      );
    }, timeoutMs);
    st.settle = (v) => {
      if (st.settled) return;
      st.settled = true;
      clearTimeout(timer);
      settle(v);
    };
    st.fail = (e) => {
      if (st.settled) return;
      st.settled = true;
      clearTimeout(timer);
      fail(e);
    };
    this.interactions.set(id, st);
    this.interactionsByToken.set(token, st);
    return { payload, st, promise };
  }

  private optionValue(type: number, raw: unknown, name: string, guildId: string, resolved: Record<'users' | 'members' | 'channels' | 'roles' | 'attachments', Json>): unknown {
    const bad = (what: string) => new Error(`fake-discord: option "${name}" expects ${what}, got ${JSON.stringify(raw)}`);
    switch (type) {
      case ApplicationCommandOptionType.String:
        return String(raw);
      case ApplicationCommandOptionType.Integer: {
        const n = typeof raw === 'string' ? Number(raw) : raw;
        if (typeof n !== 'number' || !Number.isInteger(n)) throw bad('an integer');
        return n;
      }
      case ApplicationCommandOptionType.Number: {
        const n = typeof raw === 'string' ? Number(raw) : raw;
        if (typeof n !== 'number' || Number.isNaN(n)) throw bad('a number');
        return n;
      }
      case ApplicationCommandOptionType.Boolean:
        if (typeof raw !== 'boolean') throw bad('a boolean');
        return raw;
      case ApplicationCommandOptionType.Channel: {
        const ch = this.channels.get(String(raw));
        if (!ch) throw bad('a known channel id');
        resolved.channels[ch.id] = {
          id: ch.id,
          name: ch.name,
          type: ch.type,
          permissions: this.memberPerms(ch.guildId, this.opts.botUserId).toString(),
          parent_id: null,
          guild_id: ch.guildId,
          flags: 0,
        };
        return ch.id;
      }
      case ApplicationCommandOptionType.User:
      case ApplicationCommandOptionType.Mentionable: {
        const id = String(raw);
        const guild = this.guilds.get(guildId);
        const role = guild?.roles.find((r) => r.id === id);
        if (role && type === ApplicationCommandOptionType.Mentionable) {
          resolved.roles[id] = role;
          return id;
        }
        resolved.users[id] = this.userObj(id);
        const m = this.memberObj(guildId, id, { withUser: false, withPermissions: true });
        if (m) resolved.members[id] = m;
        return id;
      }
      case ApplicationCommandOptionType.Role: {
        const id = String(raw);
        const role = this.guilds.get(guildId)?.roles.find((r) => r.id === id);
        if (!role) throw bad('a known role id');
        resolved.roles[id] = role;
        return id;
      }
      case ApplicationCommandOptionType.Attachment: {
        if (!isObj(raw) || typeof raw.filename !== 'string') throw bad('{ filename, data, contentType? }');
        const data = Buffer.isBuffer(raw.data) ? raw.data : Buffer.from(String(raw.data ?? ''), 'utf8');
        const contentType = typeof raw.contentType === 'string' ? raw.contentType : 'application/octet-stream';
        const id = snowflake();
        this.blobs.set(id, { data, contentType, filename: raw.filename });
        const url = `${this.baseUrl}/attachments/${id}/${encodeURIComponent(raw.filename)}`;
        resolved.attachments[id] = {
          id,
          filename: raw.filename,
          size: data.length,
          url,
          proxy_url: url,
          content_type: contentType,
          ephemeral: true,
        };
        return id;
      }
      default:
        throw bad(`a value of option type ${type}`);
    }
  }

  runCommand(opts: CommandRunOptions): Promise<InteractionReply> {
    try {
      const { payload, promise } = this.buildInteraction('command', opts);
      this.dispatch(GatewayDispatchEvents.InteractionCreate, payload);
      return promise as Promise<InteractionReply>;
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  autocomplete(opts: CommandRunOptions & { focused: string }): Promise<{ name: string; value: string | number }[]> {
    try {
      const { payload, promise } = this.buildInteraction('autocomplete', opts);
      this.dispatch(GatewayDispatchEvents.InteractionCreate, payload);
      return promise as Promise<{ name: string; value: string | number }[]>;
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  // =====================================================================================
  // test-facing API
  // =====================================================================================

  registeredCommands(guildId?: string): any[] {
    return [...(this.commands.get(guildId ?? '') ?? [])];
  }

  private recordFor(channelId: string, messageId: string): MsgRecord {
    const rec = this.findMessage(channelId, messageId);
    if (!rec) throw new Error(`fake-discord: no message ${messageId} in channel ${channelId}`);
    return rec;
  }

  addReaction(opts: { channelId: string; messageId: string; userId: string; emoji: string }): void {
    this.applyReaction(this.recordFor(opts.channelId, opts.messageId), opts.userId, parseEmoji(opts.emoji), true);
  }

  removeReaction(opts: { channelId: string; messageId: string; userId: string; emoji: string }): void {
    this.applyReaction(this.recordFor(opts.channelId, opts.messageId), opts.userId, parseEmoji(opts.emoji), false);
  }

  messages(channelId: string): FakeMessage[] {
    return (this.channelMessages.get(channelId) ?? []).filter((r) => !r.deleted).map((r) => r.msg);
  }

  private describe(channelId: string): string {
    const ms = this.messages(channelId);
    if (!ms.length) return 'the channel has no messages';
    return `channel has ${ms.length} message(s): ` + ms.slice(-5).map((m) => JSON.stringify({ id: m.id, content: m.content.slice(0, 80), embeds: m.embeds.length, edited: m.editedCount })).join(', ');
  }

  waitForMessage(channelId: string, predicate: (m: FakeMessage) => boolean = () => true, timeoutMs = 20_000): Promise<FakeMessage> {
    const found = this.messages(channelId).find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        channelId,
        pred: predicate,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.messageWaiters.delete(w);
          reject(new Error(`fake-discord: no matching message in ${channelId} within ${timeoutMs} ms; ${this.describe(channelId)}`));
        }, timeoutMs),
      };
      this.messageWaiters.add(w);
    });
  }

  waitForEdit(channelId: string, messageId: string, predicate: (m: FakeMessage) => boolean, timeoutMs = 20_000): Promise<FakeMessage> {
    const rec = this.findMessage(channelId, messageId);
    if (rec && predicate(rec.msg)) return Promise.resolve(rec.msg);
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        channelId,
        messageId,
        pred: predicate,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.editWaiters.delete(w);
          const cur = this.findMessage(channelId, messageId)?.msg;
          reject(
            new Error(
              `fake-discord: message ${messageId} did not reach the expected state within ${timeoutMs} ms; now: ` +
                (cur ? JSON.stringify({ content: cur.content.slice(0, 200), embeds: cur.embeds, edited: cur.editedCount }).slice(0, 1500) : 'no such message'),
            ),
          );
        }, timeoutMs),
      };
      this.editWaiters.add(w);
    });
  }

  private notifyWaiters(m: FakeMessage, edited: boolean): void {
    for (const w of [...this.messageWaiters]) {
      if (w.channelId === m.channelId && w.pred(m)) {
        clearTimeout(w.timer);
        this.messageWaiters.delete(w);
        w.resolve(m);
      }
    }
    if (!edited) return;
    for (const w of [...this.editWaiters]) {
      if (w.channelId === m.channelId && w.messageId === m.id && w.pred(m)) {
        clearTimeout(w.timer);
        this.editWaiters.delete(w);
        w.resolve(m);
      }
    }
  }

  failNext(route: RegExp, response: FailResponse, count = 1): void {
    this.faults.failNext(route, response, count);
  }

  injectFaults(plan: FaultPlan | null): void {
    this.faults.setPlan(plan);
  }

  get nonceHits(): number {
    return this.nonces.hits;
  }

  deleteChannel(channelId: string): void {
    const ch = this.channels.get(channelId);
    if (!ch) throw new Error(`fake-discord: unknown channel ${channelId}`);
    if (ch.deleted) return;
    ch.deleted = true;
    const obj = this.channelObj(ch);
    const guild = this.guilds.get(ch.guildId);
    if (guild) guild.channelIds = guild.channelIds.filter((id) => id !== channelId);
    this.dispatch(GatewayDispatchEvents.ChannelDelete, obj);
  }

  setOverwrites(channelId: string, overwrites: FakeOverwrite[]): void {
    const ch = this.liveChannel(channelId);
    if (!ch) throw new Error(`fake-discord: unknown channel ${channelId}`);
    ch.overwrites = overwrites;
    this.dispatch(GatewayDispatchEvents.ChannelUpdate, this.channelObj(ch));
  }

  addChannel(guildId: string, channel: FakeChannelSpec): void {
    const guild = this.guilds.get(guildId);
    if (!guild) throw new Error(`fake-discord: unknown guild ${guildId}`);
    const existing = this.channels.get(channel.id);
    if (existing && !existing.deleted) throw new Error(`fake-discord: channel ${channel.id} exists`);
    const ch = this.createChannelState(guild, channel);
    this.dispatch(GatewayDispatchEvents.ChannelCreate, this.channelObj(ch));
  }

  postUserMessage(opts: { channelId: string; userId: string; content?: string; embeds?: any[] }): FakeMessage {
    const ch = this.liveChannel(opts.channelId);
    if (!ch) throw new Error(`fake-discord: unknown channel ${opts.channelId}`);
    this.user(opts.userId);
    const rec = this.newRecord(ch.id, ch.guildId, opts.userId, { content: opts.content ?? '', embeds: opts.embeds ?? [] }, []);
    this.addToChannel(rec);
    return rec.msg;
  }

  deleteMessage(opts: { channelId: string; messageId: string }): void {
    this.removeMessage(this.recordFor(opts.channelId, opts.messageId));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.messageWaiters, ...this.editWaiters]) {
      clearTimeout(w.timer);
      w.reject(new Error('fake-discord: closed'));
    }
    this.messageWaiters.clear();
    this.editWaiters.clear();
    for (const st of this.interactions.values()) st.fail(new Error('fake-discord: closed'));
    for (const ws of this.sockets) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

function inferType(v: unknown): number {
  if (typeof v === 'boolean') return ApplicationCommandOptionType.Boolean;
  if (typeof v === 'number') return Number.isInteger(v) ? ApplicationCommandOptionType.Integer : ApplicationCommandOptionType.Number;
  if (isObj(v) && 'filename' in v) return ApplicationCommandOptionType.Attachment;
  return ApplicationCommandOptionType.String;
}
