import { replyPrivately } from '../../src/discord/reply.js';
import { buildOpml } from '../../src/feeds/parse/opml.js';
import { plural, type FeedSubcommand } from './shared.js';

const EXPORT_FILENAME = 'herald-feeds.opml';

/** /feeds export (and /feed export): this server's feeds as an OPML file. */
export const exportFeeds: FeedSubcommand = async (interaction, services) => {
  const urls = services.feeds.followedBy(interaction.guildId!);
  if (urls.length === 0) return replyPrivately(interaction, 'This server follows no feeds, so there is nothing to export. Add one with /feed add or /feed import.');
  const records = await Promise.all(urls.map((url) => services.feeds.record(url)));
  const opml = buildOpml(
    `Herald feeds — ${interaction.guild?.name ?? 'server'}`,
    urls.map((url, i) => ({ url, title: records[i]?.title ?? null, siteUrl: records[i]?.siteUrl ?? null })),
    services.clock(),
  );
  return replyPrivately(interaction, {
    content: `${plural(urls.length, 'feed')} in ${EXPORT_FILENAME}. Import it in another server with /feed import, or open it in any feed reader.`,
    files: [{ attachment: Buffer.from(opml, 'utf8'), name: EXPORT_FILENAME }],
  });
};
