import { ChannelType, PermissionFlagsBits, SlashCommandBuilder } from 'discord.js';
import { checkAlertChannel } from '../src/discord/alert-channel.js';
import { resumeIfPermitted, resumeLine } from '../src/discord/channel-pauses.js';
import type { Command } from '../src/discord/command.js';
import { replyPrivately } from '../src/discord/reply.js';
import { QUERY_LIMITS } from '../src/match/query.js';
import { codeSpan } from '../src/text/discord-markdown.js';

export const command: Command = {
  requiredPermission: PermissionFlagsBits.ManageChannels,
  requiredPermissionName: 'Manage Channels',
  data: new SlashCommandBuilder()
    .setName('subscribe')
    .setDescription('Get alerts in a channel for new stories matching a query')
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageChannels)
    .setDMPermission(false)
    .addStringOption((o) =>
      o.setName('query').setDescription('Phrases separated by commas, e.g. North Korea, Pyongyang').setRequired(true).setMaxLength(QUERY_LIMITS.maxLength),
    )
    .addChannelOption((o) =>
      o
        .setName('channel')
        .setDescription('Where alerts go (default: this channel)')
        .addChannelTypes(ChannelType.GuildText, ChannelType.GuildAnnouncement),
    ),

  async execute(interaction, services) {
    const guildId = interaction.guildId!;
    const channelId = interaction.options.getChannel('channel')?.id ?? interaction.channelId;
    const queryText = interaction.options.getString('query', true);
    // The option's channel types are a hint to Discord's picker, not a check: any id can arrive here.
    const member = interaction.inCachedGuild() ? interaction.member : null;
    const channel = await checkAlertChannel(interaction.guild, channelId, member);

    const record = await services.subscriptions.create({ guildId, channelId: channel.id, queryText, userId: interaction.user.id });
    const feedCount = services.feeds.followedBy(guildId).length;
    const feedsNote = feedCount
      ? `New stories from this server's ${feedCount} feed${feedCount === 1 ? '' : 's'} that match will be posted there.`
      : 'This server follows no feeds yet: add one with /feed add.';
    // Herald may post there (checked above): a channel paused for a missing permission resumes with its new subscription.
    const resumed = services.subscriptions.pauseOf(channel.id) ? `\n${resumeLine(await resumeIfPermitted(interaction.guild, channel.id, services), channel.id)}` : '';
    await replyPrivately(interaction, `Subscribed <#${channel.id}> to ${codeSpan(record.queryText)} (id \`${record.id}\`). ${feedsNote}${channel.warning ? `\n${channel.warning}` : ''}${resumed}`);
  },
};
