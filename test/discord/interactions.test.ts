// The interaction router: every failure ends in one private reply the member can act on, and one log line whose
// level says whose problem it was. Domain errors reach it only as UserFacingError (src/errors.ts).
import { PermissionFlagsBits } from 'discord.js';
import { describe, expect, it } from 'vitest';
import type { Command } from '../../src/discord/command.js';
import { handleInteraction } from '../../src/discord/interactions.js';
import { UserFacingError } from '../../src/errors.js';
import { FeedProblem } from '../../src/feeds/follow/feed-service.js';
import { SubscriptionProblem } from '../../src/match/subscription-service.js';
import type { Services } from '../../src/services.js';
import { STORE_UNAVAILABLE_REPLY, StoreUnavailableError } from '../../src/store/errors.js';
import { capturedLogger, fakeInteraction, type FakeInteractionOptions } from './fake-interaction.js';

const INTERNAL = /Something went wrong on Herald's side and nothing was changed/;

function commandThrowing(error: unknown, extra: Partial<Command> = {}): Command {
  return {
    data: { name: 'boom', toJSON: () => ({ name: 'boom', description: 'x' }) },
    async execute() {
      throw error;
    },
    ...extra,
  };
}

async function run(command: Command | null, options: Partial<FakeInteractionOptions> = {}) {
  const { log, lines } = capturedLogger();
  const { interaction, replies } = fakeInteraction({ commandName: 'boom', ...options });
  const commands = new Map(command ? [['boom', command]] : []);
  await handleInteraction(interaction, commands, { log } as unknown as Services);
  return { replies, lines, events: lines.map((l) => l.event) };
}

describe('handleInteraction: error → reply', () => {
  it('a UserFacingError: its message, privately; logged as a refusal (info)', async () => {
    const { replies, lines } = await run(commandThrowing(new UserFacingError('Pick a text channel.')));
    expect(replies).toEqual([{ kind: 'reply', content: 'Pick a text channel.', ephemeral: true }]);
    expect(lines).toEqual([expect.objectContaining({ event: 'command.refused', level: 30, reason: 'Pick a text channel.', guild: '100', command: 'boom' })]);
  });

  it("domain refusals (FeedProblem, SubscriptionProblem) are UserFacingErrors: the member reads the domain's words", async () => {
    const feed = await run(commandThrowing(new FeedProblem('fetch', 'That address answered 404. Check it in a browser.')));
    expect(feed.replies[0]?.content).toBe('That address answered 404. Check it in a browser.');
    expect(feed.events).toEqual(['command.refused']);
    const sub = await run(commandThrowing(new SubscriptionProblem('duplicate', 'This channel already has that subscription.')));
    expect(sub.replies[0]?.content).toBe('This channel already has that subscription.');
  });

  it('the store down: the store reply (not the operator message, which names the server), logged as an error', async () => {
    const error = new StoreUnavailableError('the store at redis://***@cache:6379 did not write feed: no answer within 20 s');
    const { replies, lines } = await run(commandThrowing(error));
    expect(replies[0]?.content).toBe(STORE_UNAVAILABLE_REPLY);
    expect(replies[0]?.content).not.toContain('redis');
    expect(lines).toEqual([expect.objectContaining({ event: 'command.store_unavailable', level: 50, error: error.message })]);
  });

  it('anything else: the internal-error reply (no details), logged as an error with the stack', async () => {
    const { replies, lines } = await run(commandThrowing(new TypeError("Cannot read properties of undefined (reading 'id')")));
    expect(replies[0]?.content).toMatch(INTERNAL);
    expect(replies[0]?.content).not.toContain('undefined');
    expect(lines).toEqual([expect.objectContaining({ event: 'command.failed', level: 50, error: expect.stringContaining('TypeError') })]);
  });

  it('after a defer, the error edits the deferred reply', async () => {
    const command: Command = {
      data: { name: 'boom', toJSON: () => ({ name: 'boom', description: 'x' }) },
      async execute(interaction) {
        await interaction.deferReply({ flags: 64 });
        throw new UserFacingError('Nothing to import.');
      },
    };
    const { replies } = await run(command);
    expect(replies.map((r) => r.kind)).toEqual(['deferReply', 'editReply']);
    expect(replies[1]?.content).toBe('Nothing to import.');
  });

  it('a reply that fails is logged, never thrown', async () => {
    const { replies, events } = await run(commandThrowing(new UserFacingError('x')), { replyFails: true });
    expect(replies).toEqual([]);
    expect(events).toEqual(['command.refused', 'command.reply_failed']);
  });
});

describe('handleInteraction: checks before the command runs', () => {
  it('an unknown command, outside a server, without the permission: each refused with what to do', async () => {
    expect((await run(null)).replies[0]?.content).toMatch(/no longer part of Herald\. Type \/ to see the current ones/);
    expect((await run(commandThrowing(new Error('not reached')), { guildId: null })).replies[0]?.content).toMatch(/run this command in a server channel/);
    const guarded = commandThrowing(new Error('not reached'), { requiredPermission: PermissionFlagsBits.ManageChannels, requiredPermissionName: 'Manage Channels' });
    const denied = await run(guarded, { has: () => false });
    expect(denied.replies[0]?.content).toBe('You need the **Manage Channels** permission to use /boom. Ask a server admin.');
    expect(denied.events).toEqual(['command.refused']);
  });

  it('a command that succeeds is logged once, with its subcommand', async () => {
    const ok: Command = { data: { name: 'boom', toJSON: () => ({ name: 'boom', description: 'x' }) }, execute: async () => undefined };
    const { lines } = await run(ok, { subcommand: 'list' });
    expect(lines).toEqual([expect.objectContaining({ event: 'command', subcommand: 'list', level: 30 })]);
  });
});
