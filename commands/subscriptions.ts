import { ChannelType, SlashCommandBuilder } from 'discord.js';
import type { Command } from '../src/discord/command.js';
import { fitMessage, replyPrivately } from '../src/discord/reply.js';
import { codeSpan } from '../src/text/discord-markdown.js';

export const command: Command = {
  data: new SlashCommandBuilder()
    .setName('subscriptions')
    .setDescription("List a channel's subscriptions with their ids")
    .setDMPermission(false)
    .addChannelOption((o) => o.setName('channel').setDescription('Which channel (default: this one)').addChannelTypes(ChannelType.GuildText, ChannelType.GuildAnnouncement)),

  async execute(interaction, services) {
    const channelId = interaction.options.getChannel('channel')?.id ?? interaction.channelId;
    const subs = services.subscriptions.listForChannel(channelId);
    if (subs.length === 0) {
      const total = services.subscriptions.listForGuild(interaction.guildId!).length;
      const elsewhere = total ? ` The server has ${total} in other channels: pick one with the channel option.` : '';
      return replyPrivately(interaction, `<#${channelId}> has no subscriptions. Add one with /subscribe query:<words>.${elsewhere}`);
    }
    const lines = subs.map((s) => `• \`${s.id}\` ${codeSpan(s.canonical)}`);
    await replyPrivately(interaction, fitMessage(`<#${channelId}> has ${subs.length} subscription${subs.length === 1 ? '' : 's'}:\n${lines.join('\n')}`));
  },
};
