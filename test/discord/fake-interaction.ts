// A chat-input interaction stand-in for unit tests of commands and the interaction router: records what was replied.
import { Writable } from 'node:stream';
import type { ChatInputCommandInteraction } from 'discord.js';
import { createLogger, type Logger } from '../../src/log.js';

export interface FakeInteractionOptions {
  commandName: string;
  subcommand?: string | null;
  options?: Record<string, string>;
  guildId?: string | null;
  channelId?: string;
  userId?: string;
  /** Permissions the member has (default: every permission). */
  has?: (permission: bigint) => boolean;
  /** Make reply/editReply reject. */
  replyFails?: boolean;
}

export interface Reply {
  kind: 'reply' | 'editReply' | 'deferReply';
  content?: string;
  ephemeral: boolean;
}

export function fakeInteraction(o: FakeInteractionOptions) {
  const replies: Reply[] = [];
  const guildId = o.guildId === undefined ? '100' : o.guildId;
  const interaction = {
    commandName: o.commandName,
    guildId,
    channelId: o.channelId ?? '200',
    user: { id: o.userId ?? '300' },
    guild: null,
    deferred: false,
    replied: false,
    memberPermissions: guildId ? { has: o.has ?? (() => true) } : null,
    isAutocomplete: () => false,
    isChatInputCommand: () => true,
    inGuild: () => guildId !== null,
    inCachedGuild: () => false,
    options: {
      getSubcommand: (required = true) => {
        if (o.subcommand) return o.subcommand;
        if (required) throw new Error('no subcommand');
        return null;
      },
      getString: (name: string, required = false) => {
        const value = o.options?.[name];
        if (value === undefined && required) throw new Error(`option ${name} is required`);
        return value ?? null;
      },
    },
    async reply(body: { content?: string; flags?: number }) {
      if (o.replyFails) throw new Error('Unknown interaction');
      interaction.replied = true;
      replies.push({ kind: 'reply', content: body.content, ephemeral: ((body.flags ?? 0) & 64) !== 0 });
    },
    async editReply(body: { content?: string }) {
      if (o.replyFails) throw new Error('Unknown interaction');
      replies.push({ kind: 'editReply', content: body.content, ephemeral: true });
    },
    async deferReply(body: { flags?: number }) {
      interaction.deferred = true;
      replies.push({ kind: 'deferReply', ephemeral: ((body.flags ?? 0) & 64) !== 0 });
    },
  };
  return { interaction: interaction as unknown as ChatInputCommandInteraction, replies, raw: interaction };
}

/** A real pino logger writing into an array of parsed lines. */
export function capturedLogger(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).trim().split('\n')) lines.push(JSON.parse(line));
      done();
    },
  });
  return { log: createLogger('info', sink), lines };
}
