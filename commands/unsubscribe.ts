import { PermissionFlagsBits, SlashCommandBuilder } from 'discord.js';
import type { Command } from '../src/discord/command.js';
import { replyPrivately } from '../src/discord/reply.js';
import { codeSpan, plainText } from '../src/text/discord-markdown.js';

export const command: Command = {
  requiredPermission: PermissionFlagsBits.ManageChannels,
  requiredPermissionName: 'Manage Channels',
  data: new SlashCommandBuilder()
    .setName('unsubscribe')
    .setDescription('Remove a subscription')
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageChannels)
    .setDMPermission(false)
    .addStringOption((o) =>
      o.setName('subscription').setDescription('The subscription (start typing; /subscriptions lists ids)').setRequired(true).setAutocomplete(true).setMaxLength(100),
    ),

  async execute(interaction, services) {
    const record = await services.subscriptions.remove(interaction.guildId!, interaction.options.getString('subscription', true));
    await replyPrivately(interaction, `Removed ${codeSpan(record.queryText)} from <#${record.channelId}>. No more alerts for it.`);
  },

  /** This channel's subscriptions first, then the rest of the server's, matched on id or query. */
  async autocomplete(interaction, services) {
    const typed = interaction.options.getFocused().toLowerCase();
    const all = services.subscriptions.listForGuild(interaction.guildId!);
    const here = all.filter((s) => s.channelId === interaction.channelId);
    const elsewhere = all.filter((s) => s.channelId !== interaction.channelId);
    const channelName = (id: string) => interaction.guild?.channels.cache.get(id)?.name ?? id;
    const choices = [...here, ...elsewhere]
      .filter((s) => s.id.includes(typed) || s.canonical.toLowerCase().includes(typed))
      .slice(0, 25)
      .map((s) => ({ name: plainText(`${s.canonical} · #${channelName(s.channelId)} · ${s.id}`, 100), value: s.id }));
    await interaction.respond(choices);
  },
};
