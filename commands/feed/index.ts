import { PermissionFlagsBits, SlashCommandBuilder } from 'discord.js';
import type { Command } from '../../src/discord/command.js';
import { add } from './add.js';
import { exportFeeds } from './export.js';
import { importFeeds } from './import.js';
import { list } from './list.js';
import { remove } from './remove.js';
import { retry } from './retry.js';
import { followedFeedChoices, type FeedSubcommand } from './shared.js';
import { status } from './status.js';

/**
 * Each subcommand in its own file. Changes need Manage Channels, Discord's default permission is per top-level
 * command, so what members may read is also under /feeds (commands/feeds.ts); list, status and export stay here for
 * admins used to them.
 */
const SUBCOMMANDS: Record<string, FeedSubcommand> = { add, remove, list, status, retry, import: importFeeds, export: exportFeeds };

export const command: Command = {
  requiredPermission: PermissionFlagsBits.ManageChannels,
  requiredPermissionName: 'Manage Channels',
  data: new SlashCommandBuilder()
    .setName('feed')
    .setDescription("Manage the news feeds this server follows")
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageChannels)
    .setDMPermission(false)
    .addSubcommand((s) =>
      s
        .setName('add')
        .setDescription('Follow a feed (RSS, Atom or JSON Feed), or a site page that links to one')
        .addStringOption((o) => o.setName('url').setDescription('Feed or site URL, e.g. https://feeds.bbci.co.uk/news/rss.xml').setRequired(true).setMaxLength(2000)),
    )
    .addSubcommand((s) =>
      s
        .setName('remove')
        .setDescription('Stop following a feed')
        .addStringOption((o) => o.setName('url').setDescription('The feed URL, as /feed list shows it').setRequired(true).setAutocomplete(true).setMaxLength(2000)),
    )
    .addSubcommand((s) => s.setName('list').setDescription('The feeds this server follows (members: /feeds list)'))
    .addSubcommand((s) =>
      s
        .setName('status')
        .setDescription("A feed's health: last success, last error, next poll (members: /feeds status)")
        .addStringOption((o) => o.setName('url').setDescription('One feed (default: all of this server\'s feeds)').setAutocomplete(true).setMaxLength(2000)),
    )
    .addSubcommand((s) =>
      s
        .setName('retry')
        .setDescription('Re-enable a disabled or failing feed and poll it now')
        .addStringOption((o) => o.setName('url').setDescription('The feed URL, as /feed status shows it').setRequired(true).setAutocomplete(true).setMaxLength(2000)),
    )
    .addSubcommand((s) =>
      s
        .setName('import')
        .setDescription('Follow every feed in an OPML file (exported from a feed reader)')
        .addAttachmentOption((o) => o.setName('file').setDescription('An .opml file, up to 1 MB').setRequired(true)),
    )
    .addSubcommand((s) => s.setName('export').setDescription("Download this server's feeds as an OPML file (members: /feeds export)")),

  async execute(interaction, services) {
    const run = SUBCOMMANDS[interaction.options.getSubcommand()] ?? list;
    await run(interaction, services);
  },

  autocomplete: followedFeedChoices,
};
