import { PermissionFlagsBits, SlashCommandBuilder, type Attachment, type ChatInputCommandInteraction } from 'discord.js';
import type { Command } from '../src/discord/command.js';
import { UserFacingError } from '../src/discord/command.js';
import { deferPrivately, fitMessage, replyPrivately } from '../src/discord/reply.js';
import { FeedProblem, type ImportSummary } from '../src/feeds/follow/feed-service.js';
import { discordTime, feedHealth } from '../src/discord/feed-health.js';
import { buildOpml } from '../src/feeds/parse/opml.js';
import { formatDuration } from '../src/feeds/poll/scheduler.js';
import type { Services } from '../src/services.js';
import type { FeedRecord } from '../src/store/records.js';
import { inlineMarkdown, plainText } from '../src/text/discord-markdown.js';

/** Largest OPML file /feed import reads. */
export const MAX_OPML_BYTES = 1024 * 1024;
/** How long fetching the OPML attachment may take. */
const OPML_FETCH_TIMEOUT_MS = 15_000;
/** Progress edits during an import, at most this often. */
const PROGRESS_EVERY_MS = 1_500;
export const EXPORT_FILENAME = 'herald-feeds.opml';

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
    .addSubcommand((s) => s.setName('list').setDescription('The feeds this server follows'))
    .addSubcommand((s) =>
      s
        .setName('status')
        .setDescription("A feed's health: last success, last new item, last error, next poll")
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
    .addSubcommand((s) => s.setName('export').setDescription("Download this server's feeds as an OPML file")),

  async execute(interaction, services) {
    const guildId = interaction.guildId!;
    const sub = interaction.options.getSubcommand();
    if (sub === 'add') {
      await deferPrivately(interaction);
      try {
        const { feed, itemCount, alreadyFollowed } = await services.feeds.follow(guildId, interaction.options.getString('url', true));
        if (alreadyFollowed) return replyPrivately(interaction, `This server already follows **${title(feed)}** (${feed.url}).`);
        const subs = services.subscriptions.listForGuild(guildId).length;
        const next = subs ? 'Matching new stories will be posted to the subscribed channels.' : 'Now choose what to be alerted about with /subscribe.';
        return replyPrivately(interaction, `Following **${title(feed)}** (${feed.url}). Its ${itemCount} current items count as already seen, so only new stories alert. ${next}`);
      } catch (error) {
        if (error instanceof FeedProblem && error.code === 'several-feeds') {
          const list = error.candidates.map((c) => `• ${c.title ? `${inlineMarkdown(c.title, 150)}: ` : ''}${c.url}`).join('\n');
          return replyPrivately(interaction, fitMessage(`${error.message}\n${list}`));
        }
        throw error;
      }
    }
    if (sub === 'remove') {
      const raw = interaction.options.getString('url', true);
      const removed = services.feeds.resolveFollowed(guildId, raw);
      if (!removed || !(await services.feeds.unfollow(guildId, removed))) {
        throw new UserFacingError(`This server doesn't follow "${raw.slice(0, 200)}". /feed list shows the feeds it follows.`);
      }
      return replyPrivately(interaction, `Stopped following ${removed}. Subscriptions stay; they match the remaining feeds.`);
    }
    if (sub === 'status') return status(interaction, services);
    if (sub === 'retry') return retry(interaction, services);
    if (sub === 'import') return importOpml(interaction, services);
    if (sub === 'export') return exportOpml(interaction, services);
    const feeds = await services.feeds.list(guildId);
    if (feeds.length === 0) return replyPrivately(interaction, 'This server follows no feeds yet. Add one with /feed add url:<feed or site URL>.');
    const lines = feeds.map((f) => {
      const health = f.disabledReason ? ' — ⛔ disabled' : f.consecutiveFailures > 0 ? ` — ⚠️ failing: ${inlineMarkdown(f.lastError ?? 'unknown error', 300)}` : '';
      return `• **${title(f)}** ${f.url}${health}`;
    });
    return replyPrivately(interaction, fitMessage(`This server follows ${feeds.length} feed${feeds.length === 1 ? '' : 's'}:\n${lines.join('\n')}`));
  },

  async autocomplete(interaction, services) {
    const typed = interaction.options.getFocused().toLowerCase();
    const feeds = await services.feeds.list(interaction.guildId!);
    const choices = feeds
      .filter((f) => f.url.toLowerCase().includes(typed) || f.title.toLowerCase().includes(typed))
      .slice(0, 25)
      .map((f) => ({ name: plainText(`${f.title} — ${f.url}`, 100), value: f.url.slice(0, 100) }));
    await interaction.respond(choices);
  },
};

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const title = (feed: Pick<FeedRecord, 'title'>) => inlineMarkdown(feed.title, 200) || 'untitled';

function followedUrl(interaction: ChatInputCommandInteraction, services: Services, raw: string): string {
  const url = services.feeds.resolveFollowed(interaction.guildId!, raw);
  if (!url) throw new UserFacingError(`This server doesn't follow "${raw.slice(0, 200)}". /feed list shows the feeds it follows.`);
  return url;
}

/** When a feed will next be polled, in words. */
function nextPoll(feed: FeedRecord | undefined, services: Services): string {
  if (feed?.disabledReason) return 'never while disabled';
  const at = feed?.nextPollAt ? Date.parse(feed.nextPollAt) : NaN;
  if (!Number.isNaN(at) && at > services.clock().getTime()) return discordTime(feed!.nextPollAt);
  return `in the next poll cycle (every ${formatDuration(services.poller.intervalMs)})`;
}

async function status(interaction: ChatInputCommandInteraction, services: Services): Promise<void> {
  const guildId = interaction.guildId!;
  const now = services.clock();
  const raw = interaction.options.getString('url');
  if (raw) {
    const url = followedUrl(interaction, services, raw);
    const feed = await services.store.feeds.get(url);
    if (!feed) return replyPrivately(interaction, `${url} hasn't been polled yet; it will be ${nextPoll(undefined, services)}. Ask again after that.`);
    const health = feedHealth(feed, now);
    const lines = [
      `**${title(feed)}** <${feed.url}>`,
      `Health: ${health.summary}${feed.disabledReason ? ` since ${discordTime(feed.disabledAt ?? feed.lastPolledAt)}: ${inlineMarkdown(feed.disabledReason, 600)}` : ''}`,
      `Last success: ${discordTime(feed.lastSuccessAt)} · Last new item: ${discordTime(feed.lastNewItemAt)}`,
      `Last error: ${feed.lastError ? `${inlineMarkdown(feed.lastError, 600)} (${discordTime(feed.lastErrorAt ?? feed.lastPolledAt)})` : 'none'}`,
      `Next poll: ${nextPoll(feed, services)}`,
    ];
    if (health.state === 'disabled') lines.push(`Once the feed works again (check it in a browser), run /feed retry url:${feed.url}`);
    else if (health.state === 'failing') lines.push('Herald keeps retrying, waiting longer each time; /feed retry polls it now.');
    return replyPrivately(interaction, fitMessage(lines.join('\n')));
  }
  const urls = services.feeds.followedBy(guildId);
  if (urls.length === 0) return replyPrivately(interaction, 'This server follows no feeds yet. Add one with /feed add url:<feed or site URL>.');
  const records = await Promise.all(urls.map((url) => services.store.feeds.get(url)));
  const lines = urls.map((url, i) => {
    const feed = records[i];
    if (!feed) return `• ${url} — 🆕 not polled yet`;
    return `• **${title(feed)}** ${feed.url} — ${feedHealth(feed, now).summary} · last success ${discordTime(feed.lastSuccessAt)} · next poll ${nextPoll(feed, services)}`;
  });
  const broken = records.filter((r) => r?.disabledReason).length;
  const hint = broken ? `${plural(broken, 'feed')} disabled: fix it, then /feed retry url:<feed>.` : 'Details for one feed: /feed status url:<feed>.';
  return replyPrivately(interaction, fitMessage(`${plural(urls.length, 'feed')}:\n${lines.join('\n')}\n${hint}`, 2000));
}

async function retry(interaction: ChatInputCommandInteraction, services: Services): Promise<void> {
  const url = followedUrl(interaction, services, interaction.options.getString('url', true));
  await deferPrivately(interaction);
  const before = await services.store.feeds.get(url);
  const { outcome, newItems, feed } = await services.poller.retry(url);
  const name = feed ? `**${title(feed)}**` : url;
  const reenabled = before?.disabledReason ? 'is re-enabled and ' : '';
  if (outcome === 'failed' || outcome === 'disabled') {
    return replyPrivately(
      interaction,
      `⚠️ ${name} ${reenabled}still fails: ${inlineMarkdown(feed?.lastError ?? 'unknown error', 600)}. Herald keeps retrying (next try ${nextPoll(feed, services)}); check the address in a browser, or /feed remove it.`,
    );
  }
  const found = newItems ? `${plural(newItems, 'new item')} checked against this server's subscriptions` : 'nothing new since its last poll';
  return replyPrivately(interaction, `✅ ${name} ${reenabled}works: fetched just now, ${found}. It is polled every cycle again.`);
}

/** Reads a Discord attachment (Discord's CDN, not a feed: no feed address guard), up to `max` bytes. */
async function readAttachment(attachment: Attachment, max: number): Promise<Buffer> {
  const tooBig = () => new UserFacingError(`${attachment.name} is larger than ${max / 1024 / 1024} MB. Split the OPML file and import the parts.`);
  if (attachment.size > max) throw tooBig();
  let response: Response;
  try {
    response = await fetch(attachment.url, { signal: AbortSignal.timeout(OPML_FETCH_TIMEOUT_MS) });
  } catch {
    throw new UserFacingError(`Couldn't download ${attachment.name} from Discord. Try the import again in a minute.`);
  }
  if (!response.ok || !response.body) throw new UserFacingError(`Couldn't download ${attachment.name} from Discord (HTTP ${response.status}). Try the import again.`);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > max) {
      await response.body.cancel().catch(() => undefined);
      throw tooBig();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

async function importOpml(interaction: ChatInputCommandInteraction, services: Services): Promise<void> {
  const guildId = interaction.guildId!;
  const attachment = interaction.options.getAttachment('file', true);
  const name = inlineMarkdown(attachment.name, 100);
  await deferPrivately(interaction);
  const data = await readAttachment(attachment, MAX_OPML_BYTES);
  const parsed = await services.parsers.opml(data);
  if (!parsed.ok) throw new UserFacingError(`${name} isn't an OPML file Herald can read: ${inlineMarkdown(parsed.reason, 300)}. Export the list from your feed reader as OPML and try again.`);
  const urls = [...new Set(parsed.feeds.map((f) => f.url))];
  if (urls.length === 0) throw new UserFacingError(`${name} lists no feeds (no <outline xmlUrl="…">). Export the list from your feed reader as OPML and try again.`);

  // Only as many new feeds as the server has free slots are fetched; the import runs in the background and edits
  // this one reply with its progress, so it never holds up other commands or the poll cycle.
  const plan = services.feeds.planImport(guildId, urls);
  const total = plan.toTry.length;
  // Edits go out one after another, so a late progress edit can never overwrite the summary.
  let edits = Promise.resolve();
  const edit = (content: string) =>
    (edits = edits
      .then(() => replyPrivately(interaction, content))
      .catch((error: unknown) => services.log.warn({ event: 'command.reply_failed', guild: guildId, command: 'feed', error: String(error) }, 'could not edit the import reply')));
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
      return edit("The import stopped on Herald's side. /feed list shows what was added; import the file again to add the rest.");
    },
  );
}

/** The import's final reply: counts first, then the next step, then as many failures as fit. */
export function importSummary(name: string, summary: ImportSummary, limit: number): string {
  const { added, already, failed, overLimit, stopped } = summary;
  const refused = overLimit ? ` ${plural(overLimit, 'feed')} not imported: this server may follow ${limit} feeds; remove some with /feed remove, then import again.` : '';
  const cut = stopped ? ` ${plural(stopped, 'feed')} not tried: the import was stopped; import the file again for the rest.` : '';
  const head = `Imported ${name}: added ${added}, already followed ${already}, failed ${failed.length}.${refused}${cut}`;
  const lines = failed.map((f) => `• ${inlineMarkdown(f.url, 300)} — ${inlineMarkdown(f.reason, 400)}`);
  const next = failed.length ? 'Fix or drop the failed feeds and import again (feeds already followed are skipped).' : added ? 'Now choose what to be alerted about with /subscribe.' : '/feed list shows what this server follows.';
  // The failures are listed last but the next step must survive the 2000-character cut.
  const body = fitMessage([head, ...lines].join('\n'), 2000 - next.length - 1);
  return `${body}\n${next}`;
}

async function exportOpml(interaction: ChatInputCommandInteraction, services: Services): Promise<void> {
  const urls = services.feeds.followedBy(interaction.guildId!);
  if (urls.length === 0) return replyPrivately(interaction, 'This server follows no feeds, so there is nothing to export. Add one with /feed add or /feed import.');
  const records = await Promise.all(urls.map((url) => services.store.feeds.get(url)));
  const opml = buildOpml(
    `Herald feeds — ${interaction.guild?.name ?? 'server'}`,
    urls.map((url, i) => ({ url, title: records[i]?.title ?? null, siteUrl: records[i]?.siteUrl ?? null })),
    services.clock(),
  );
  return replyPrivately(interaction, {
    content: `${plural(urls.length, 'feed')} in ${EXPORT_FILENAME}. Import it in another server with /feed import, or open it in any feed reader.`,
    files: [{ attachment: Buffer.from(opml, 'utf8'), name: EXPORT_FILENAME }],
  });
}
