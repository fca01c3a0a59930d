import { downloadAttachment } from '../../src/discord/attachment.js';
import { deferPrivately, fitMessage, serialReply } from '../../src/discord/reply.js';
import { UserFacingError } from '../../src/errors.js';
import type { ImportSummary } from '../../src/feeds/follow/feed-service.js';
import { inlineMarkdown } from '../../src/text/discord-markdown.js';
import { plural, type FeedSubcommand } from './shared.js';

/** Largest OPML file /feed import reads. */
const MAX_OPML_BYTES = 1024 * 1024;
/** How long fetching the OPML attachment may take. */
const OPML_FETCH_TIMEOUT_MS = 15_000;
/** Progress edits during an import, at most this often. */
const PROGRESS_EVERY_MS = 1_500;

/** /feed import file: follow every feed an OPML file lists, in the background, editing one reply with progress. */
export const importFeeds: FeedSubcommand = async (interaction, services) => {
  const guildId = interaction.guildId!;
  const attachment = interaction.options.getAttachment('file', true);
  const name = inlineMarkdown(attachment.name, 100);
  await deferPrivately(interaction);
  const data = await downloadAttachment(attachment, { maxBytes: MAX_OPML_BYTES, timeoutMs: OPML_FETCH_TIMEOUT_MS });
  const parsed = await services.parsers.opml(data);
  if (!parsed.ok) throw new UserFacingError(`${name} isn't an OPML file Herald can read: ${inlineMarkdown(parsed.reason, 300)}. Export the list from your feed reader as OPML and try again.`);
  const urls = [...new Set(parsed.feeds.map((f) => f.url))];
  if (urls.length === 0) throw new UserFacingError(`${name} lists no feeds (no <outline xmlUrl="…">). Export the list from your feed reader as OPML and try again.`);

  // Only as many new feeds as the server has free slots are fetched; the import runs in the background (FeedService)
  // and edits this one reply with its progress, so it never holds up other commands or the poll cycle.
  const plan = services.feeds.planImport(guildId, urls);
  const total = plan.toTry.length;
  const edit = serialReply(interaction, (error) =>
    services.log.warn({ event: 'command.reply_failed', guild: guildId, command: 'feed', error: String(error) }, 'could not edit the import reply'),
  );
  const progress = (done: number) => `Importing ${name}: ${done}/${total} feeds checked…`;
  let lastEdit = Date.now();
  const finished = services.feeds.startImport(guildId, plan, (done) => {
    if (done === total || Date.now() - lastEdit < PROGRESS_EVERY_MS) return;
    lastEdit = Date.now();
    void edit(progress(done));
  });
  await edit(progress(0));
  void finished.then(
    (summary) => edit(importSummary(name, summary, services.config.limits.feedsPerGuild)),
    (error: unknown) => {
      services.log.error({ event: 'feed.import_crashed', guild: guildId, error: error instanceof Error ? error.stack : String(error) }, 'import failed');
      return edit("The import stopped on Herald's side. /feeds list shows what was added; import the file again to add the rest.");
    },
  );
};

/** The import's final reply: counts first, then the next step, then as many failures as fit. */
export function importSummary(name: string, summary: ImportSummary, limit: number): string {
  const { added, already, failed, overLimit, stopped } = summary;
  const refused = overLimit ? ` ${plural(overLimit, 'feed')} not imported: this server may follow ${limit} feeds; remove some with /feed remove, then import again.` : '';
  const cut = stopped ? ` ${plural(stopped, 'feed')} not tried: the import was stopped; import the file again for the rest.` : '';
  const head = `Imported ${name}: added ${added}, already followed ${already}, failed ${failed.length}.${refused}${cut}`;
  const lines = failed.map((f) => `• ${inlineMarkdown(f.url, 300)} — ${inlineMarkdown(f.reason, 400)}`);
  const next = failed.length ? 'Fix or drop the failed feeds and import again (feeds already followed are skipped).' : added ? 'Now choose what to be alerted about with /subscribe.' : '/feeds list shows what this server follows.';
  // The failures are listed last but the next step must survive the 2000-character cut.
  const body = fitMessage([head, ...lines].join('\n'), 2000 - next.length - 1);
  return `${body}\n${next}`;
}
