import { SlashCommandBuilder } from 'discord.js';
import type { Command } from '../src/discord/command.js';
import { exportFeeds } from './feed/export.js';
import { list } from './feed/list.js';
import { followedFeedChoices, type FeedSubcommand } from './feed/shared.js';
import { status } from './feed/status.js';

const SUBCOMMANDS: Record<string, FeedSubcommand> = { list, status, export: exportFeeds };

/**
 * /feeds: reading this server's feeds, for everyone. Discord sets default permissions per top-level command, so
 * the read-only subcommands live here, apart from /feed (add, remove, retry, import), which needs Manage Channels.
 * The replies name only this server's feeds.
 */
export const command: Command = {
  data: new SlashCommandBuilder()
    .setName('feeds')
    .setDescription('The news feeds this server follows: list, health, OPML export')
    .setDMPermission(false)
    .addSubcommand((s) => s.setName('list').setDescription('The feeds this server follows'))
    .addSubcommand((s) =>
      s
        .setName('status')
        .setDescription("A feed's health: last success, last new item, last error, next poll")
        .addStringOption((o) => o.setName('url').setDescription("One feed (default: all of this server's feeds)").setAutocomplete(true).setMaxLength(2000)),
    )
    .addSubcommand((s) => s.setName('export').setDescription("Download this server's feeds as an OPML file")),

  async execute(interaction, services) {
    const run = SUBCOMMANDS[interaction.options.getSubcommand()] ?? list;
    await run(interaction, services);
  },

  autocomplete: followedFeedChoices,
};
