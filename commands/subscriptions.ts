import { ChannelType, PermissionFlagsBits, SlashCommandBuilder, type ChatInputCommandInteraction, type SlashCommandChannelOption } from 'discord.js';
import { resumeIfPermitted, resumeLine, pauseReason } from '../src/discord/channel-pauses.js';
import type { Command } from '../src/discord/command.js';
import { fitMessage, replyPrivately } from '../src/discord/reply.js';
import { UserFacingError } from '../src/errors.js';
import type { Services } from '../src/services.js';
import { codeSpan } from '../src/text/discord-markdown.js';

const channelOption = (description: string) => (o: SlashCommandChannelOption) =>
  o.setName('channel').setDescription(description).addChannelTypes(ChannelType.GuildText, ChannelType.GuildAnnouncement);

/** /subscriptions list [channel:]: a channel's subscriptions with their ids, and whether they are paused. */
async function list(interaction: ChatInputCommandInteraction, services: Services): Promise<void> {
  const guildId = interaction.guildId!;
  const channelId = interaction.options.getChannel('channel')?.id ?? interaction.channelId;
  const subs = services.subscriptions.listForChannel(channelId);
  const pause = services.subscriptions.pauseOf(channelId);
  const pausedElsewhere = services.subscriptions.pausedInGuild(guildId).filter((p) => p.channelId !== channelId);
  const elsewhereNote = pausedElsewhere.length
    ? `\n⏸️ Also paused in this server: ${pausedElsewhere.map((p) => `<#${p.channelId}>`).join(', ')}. /subscriptions list channel: shows why.`
    : '';
  if (subs.length === 0) {
    const total = services.subscriptions.countForGuild(guildId);
    const elsewhere = total ? ` The server has ${total} in other channels: pick one with the channel option.` : '';
    return replyPrivately(interaction, `<#${channelId}> has no subscriptions. Add one with /subscribe query:<words>.${elsewhere}${elsewhereNote}`);
  }
  const mark = pause ? ' ⏸️ paused' : '';
  const lines = subs.map((s) => `• \`${s.id}\` ${codeSpan(s.canonical)}${mark}`);
  const head = `<#${channelId}> has ${subs.length} subscription${subs.length === 1 ? '' : 's'}:`;
  const paused = pause
    ? `\n⏸️ All ${subs.length === 1 ? 'of it is' : `${subs.length} are`} ${pauseReason(pause)}. Give Herald's role what it lacks in <#${channelId}>, then run /subscriptions resume.`
    : '';
  // the pause and what to do must survive the cut of a long list
  const tail = `${paused}${elsewhereNote}`;
  await replyPrivately(interaction, `${fitMessage(`${head}\n${lines.join('\n')}`, 2000 - tail.length)}${tail}`);
}

/** /subscriptions resume [channel:]: checks Herald's permissions in a paused channel again and resumes it if they are back. */
async function resume(interaction: ChatInputCommandInteraction, services: Services): Promise<void> {
  // /subscriptions is for everyone, but resuming changes what Herald does: the same permission as /subscribe
  if (!interaction.memberPermissions?.has(PermissionFlagsBits.ManageChannels)) {
    throw new UserFacingError('You need the **Manage Channels** permission to resume alerts. Ask a server admin.');
  }
  const channelId = interaction.options.getChannel('channel')?.id ?? interaction.channelId;
  const outcome = await resumeIfPermitted(interaction.guild, channelId, services);
  if (outcome.kind === 'not-paused') {
    const paused = services.subscriptions.pausedInGuild(interaction.guildId!);
    const others = paused.length ? ` Paused in this server: ${paused.map((p) => `<#${p.channelId}>`).join(', ')}: pick one with the channel option.` : '';
    return replyPrivately(interaction, `${resumeLine(outcome, channelId)}${others}`);
  }
  await replyPrivately(interaction, resumeLine(outcome, channelId));
}

const SUBCOMMANDS: Record<string, (interaction: ChatInputCommandInteraction, services: Services) => Promise<void>> = { list, resume };

export const command: Command = {
  data: new SlashCommandBuilder()
    .setName('subscriptions')
    .setDescription("A channel's subscriptions; resume a channel paused for a missing permission")
    .setDMPermission(false)
    .addSubcommand((s) => s.setName('list').setDescription("List a channel's subscriptions with their ids").addChannelOption(channelOption('Which channel (default: this one)')))
    .addSubcommand((s) =>
      s
        .setName('resume')
        .setDescription("Resume a channel's alerts after giving Herald the permission it lacked (Manage Channels)")
        .addChannelOption(channelOption('Which channel (default: this one)')),
    ),

  async execute(interaction, services) {
    const run = SUBCOMMANDS[interaction.options.getSubcommand(false) ?? 'list'] ?? list;
    await run(interaction, services);
  },
};
