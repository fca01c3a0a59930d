// A fake Discord (REST + gateway) on 127.0.0.1 that the unmodified discord.js Client talks to:
//   new Client({ intents, partials, rest: { api: fake.apiUrl } })
// See /work/shared/discord/NOTES.md for the pitfalls this implementation follows.
// Implementation lives in ./fake-discord/*.ts; this file is the public surface used by e2e tests.
import type { FakeOverwrite } from './fake-discord/overwrites.js';
import { FakeDiscordServer } from './fake-discord/server.js';

export type { FakeOverwrite } from './fake-discord/overwrites.js';

export interface FakeMemberSpec {
  id: string;
  username: string;
  /** guild-level permission bits; default: View Channel + Send Messages only */
  permissions?: bigint;
}

export interface FakeChannelSpec {
  id: string;
  name: string;
  /** ChannelType; default GuildText (0). Use e.g. ChannelType.GuildCategory to test non-text channels. */
  type?: number;
  /** permission overwrites (role id — the guild id for @everyone — or user id); sent in GUILD_CREATE, enforced on sends */
  overwrites?: FakeOverwrite[];
}

export interface FakeGuildSpec {
  id: string;
  name: string;
  channels: FakeChannelSpec[];
  members: FakeMemberSpec[];
  /** the bot's guild-level permissions here; default: FakeDiscordOptions.botPermissions */
  botPermissions?: bigint;
  /** the guild's system channel (where Discord posts join messages); default none */
  systemChannelId?: string;
}

export interface FakeDiscordOptions {
  token: string;
  applicationId: string;
  botUserId: string;
  botUsername?: string;
  guilds: FakeGuildSpec[];
  /** the bot's guild-level permissions (default DEFAULT_BOT_PERMISSIONS); enforced on send/react/delete */
  botPermissions?: bigint;
  /** gateway HELLO heartbeat_interval, default 41250 ms (Discord's value) */
  heartbeatIntervalMs?: number;
  /** Discord drops interactions that are not acknowledged within 3 s; default 3000 (a late callback → 404 10062 + a problem) */
  interactionAckTimeoutMs?: number;
  /** wait this long after IDENTIFY before READY (a slow start), default 0 */
  readyDelayMs?: number;
  /** how long a nonce sent with enforce_nonce returns the message it created (Discord: "a few minutes"); default 5 min */
  nonceWindowMs?: number;
  /** the shard count GET /gateway/bot recommends; above 1, IDENTIFY must carry `[shard_id, num_shards]` (default 1) */
  shardCount?: number;
  /** GET /gateway/bot's `max_concurrency`: IDENTIFYs allowed per 5 s, one per bucket (shard id % it); default 1 */
  maxConcurrency?: number;
  /**
   * Enforce Discord's IDENTIFY pace: a second IDENTIFY in a bucket within this many ms (Discord: 5000) is answered with
   * Invalid Session and recorded as a problem. Default off: tests that restart a bot quickly would trip it.
   */
  identifyWindowMs?: number;
}

export interface FakeAttachment {
  filename: string;
  data: Buffer;
  id: string;
  contentType: string;
  url: string;
  description?: string;
}

export interface FakeMessage {
  id: string;
  channelId: string;
  authorId: string;
  content: string;
  embeds: any[];
  flags: number;
  /** the `allowed_mentions` object exactly as the bot sent it (snake_case), undefined if it sent none */
  allowedMentions: unknown;
  /** emoji name (unicode emoji, or a custom emoji's name) → ids of users who reacted */
  reactions: Map<string, Set<string>>;
  editedCount: number;
  attachments: FakeAttachment[];
  /** the nonce the bot sent, if any */
  nonce?: string | number;
  /** message_reference as sent, if any */
  messageReference?: unknown;
}

export interface InteractionFollowUp {
  id: string;
  content: string;
  embeds: any[];
  ephemeral: boolean;
}

export interface InteractionReply {
  type: 'message' | 'deferred';
  content: string;
  embeds: any[];
  ephemeral: boolean;
  files: { filename: string; data: Buffer }[];
  /** keeps filling after runCommand resolved (followUp calls) */
  followUps: InteractionFollowUp[];
  /** message id of the original response */
  messageId: string;
  /** how many times the original response was edited after it was settled */
  editedCount: number;
  deleted: boolean;
}

export interface FakeRequest {
  method: string;
  /** percent-decoded path without the `/api/v10` prefix and the query string, e.g. `/channels/1/messages/2/reactions/1️⃣/@me` */
  path: string;
  body: unknown;
  at: number;
  query: string;
  /** the client's User-Agent (discord.js: `DiscordBot (…) <userAgentAppendix>`) */
  userAgent?: string;
  /** status the fake answered with; undefined while the request is still being answered */
  status?: number;
  /** true when the request was handled but its answer was lost (an injected fault: the connection was dropped) */
  lost?: boolean;
  files?: string[];
}

import type { FailResponse, FaultEvent, FaultKind, FaultPlan } from './fake-discord/faults.js';
export type { FailResponse, FaultEvent, FaultKind, FaultPlan, FaultRates } from './fake-discord/faults.js';

export interface CommandRunOptions {
  guildId: string;
  channelId: string;
  userId: string;
  name: string;
  /** 'sub' or 'group sub' */
  subcommand?: string;
  options?: Record<string, unknown>;
  timeoutMs?: number;
}

export interface FakeDiscord {
  /** 'http://127.0.0.1:PORT/api' */
  apiUrl: string;
  /** global when guildId omitted; as the bot PUT/POSTed them (plus id, application_id, version) */
  registeredCommands(guildId?: string): any[];
  runCommand(opts: CommandRunOptions): Promise<InteractionReply>;
  autocomplete(opts: CommandRunOptions & { focused: string }): Promise<{ name: string; value: string | number }[]>;
  addReaction(opts: { channelId: string; messageId: string; userId: string; emoji: string }): void;
  removeReaction(opts: { channelId: string; messageId: string; userId: string; emoji: string }): void;
  /** messages created via POST /channels/{c}/messages (and postUserMessage), in creation order; deleted ones drop out */
  messages(channelId: string): FakeMessage[];
  waitForMessage(channelId: string, predicate?: (m: FakeMessage) => boolean, timeoutMs?: number): Promise<FakeMessage>;
  /** resolves as soon as the message satisfies the predicate (checked now, then after every edit) */
  waitForEdit(channelId: string, messageId: string, predicate: (m: FakeMessage) => boolean, timeoutMs?: number): Promise<FakeMessage>;
  requests: FakeRequest[];
  problems: string[];
  /**
   * The next `count` requests matching `route` get `response` instead of the real answer: a 5xx, a 429 with real
   * rate-limit headers, a lost answer (handled, then the connection dropped) or a slow answer.
   * `route` is tested against the path (`/channels/1/messages`) and against `METHOD path`.
   */
  failNext(route: RegExp, response: FailResponse, count?: number): void;
  /** Seeded random faults on every matching request (null stops them); see FaultPlan. */
  injectFaults(plan: FaultPlan | null): void;
  /** What was injected so far (failNext and plans), and how many of each kind. */
  faults: { readonly events: FaultEvent[]; counts(): Partial<Record<FaultKind, number>> };
  /** Message creates answered with an existing message by the nonce rule. */
  readonly nonceHits: number;
  deleteChannel(channelId: string): void;
  identifyCount: number;
  /** `[shard_id, num_shards]` of every IDENTIFY, in order */
  readonly identifiedShards: ReadonlyArray<[number, number]>;
  /** when each accepted IDENTIFY arrived (Date.now()), and for which shard */
  readonly identifies: ReadonlyArray<{ at: number; shard: number }>;
  /** every gateway dispatch: the shard whose session got it, the event, its guild */
  readonly dispatched: ReadonlyArray<{ shard: number; t: string; guildId: string | undefined }>;
  close(): Promise<void>;

  // ---- additions ----
  /** a user posts a message (dispatches MESSAGE_CREATE; content blanked for sessions without MessageContent) */
  postUserMessage(opts: { channelId: string; userId: string; content?: string; embeds?: any[] }): FakeMessage;
  /** a user/moderator deletes a message (dispatches MESSAGE_DELETE) */
  deleteMessage(opts: { channelId: string; messageId: string }): void;
  /** replaces a channel's permission overwrites (dispatches CHANNEL_UPDATE, as when an admin edits them) */
  setOverwrites(channelId: string, overwrites: FakeOverwrite[]): void;
  /** creates a channel in a guild (dispatches CHANNEL_CREATE) */
  addChannel(guildId: string, channel: FakeChannelSpec): void;
  /** closes every gateway connection (default code 4000, resumable); discord.js reconnects and RESUMEs */
  disconnectGateway(code?: number): void;
  /** forget all sessions: the next RESUME gets INVALID_SESSION and the bot has to IDENTIFY again */
  invalidateSessions(): void;
  /** number of gateway sessions currently connected and identified */
  connectedSessions(): number;
  /** the http base (for attachment urls): 'http://127.0.0.1:PORT' */
  baseUrl: string;
}

export { DEFAULT_BOT_PERMISSIONS, DEFAULT_MEMBER_PERMISSIONS } from './fake-discord/server.js';

export async function startFakeDiscord(opts: FakeDiscordOptions): Promise<FakeDiscord> {
  return FakeDiscordServer.start(opts);
}
