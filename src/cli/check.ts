// `herald check`: a feed as Herald sees it, and its alerts as a channel would get them, without Discord.
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { APIEmbed } from 'discord.js';
import { alertEmbed, alertSummary } from '../alerts/compose.js';
import { matchableItem } from '../alerts/matchable-item.js';
import { REPOSITORY_URL } from '../config/config.js';
import { FeedProblem, normaliseFeedUrl } from '../feeds/follow/feed-service.js';
import { FetchError } from '../feeds/fetch/fetch-error.js';
import { createFetcher } from '../feeds/fetch/fetcher.js';
import { ingest, type Ingested } from '../feeds/ingest.js';
import type { FeedParser } from '../feeds/parse/feed.js';
import { inThreadArticleExtractor, ParsePool, type ArticleExtractor, type Parsers } from '../feeds/parse/pool.js';
import { createArticleSummaries } from '../feeds/article/article-summaries.js';
import { memoryArticleCache } from '../feeds/article/records.js';
import { SUMMARY_MAX_CHARS } from '../alerts/summary.js';
import { silentLogger } from '../log.js';
import type { FeedItem, ParsedFeed } from '../feeds/types.js';
import { evaluateQuery } from '../match/evaluate.js';
import { SubscriptionIndex } from '../match/index.js';
import type { MatchableItem } from '../match/item.js';
import type { MatchedTerm } from '../match/matched-term.js';
import { parseQuery, type Query } from '../match/query.js';
import { renderAlertEmbed } from './render-alert.js';

export const CHECK_USAGE = `Usage: npm run herald -- check <feed-url-or-file> [--query "<query>"] [--render | --json] [--no-articles]
  Fetches (or reads) a feed and prints its items the way Herald sees them; with --query, which items match.
  --render  each item's alert as it would be posted: headline, link, summary with the matched words in bold,
            fields, image, footer and time.
  --json    one JSON line per item, with "summary" (the plain text) and "embed" (the exact embed Herald would post).
  With --render or --json, an item that would be posted and whose feed text is missing or shorter than one sentence
  gets its article page's lead, as the bot does; --no-articles (or FETCH_ARTICLES=false) shows the feed text only.
  Feeds on this machine or a private network need ALLOW_PRIVATE_ADDRESSES=true.`;

export interface CheckOptions {
  target: string;
  query?: string;
  json?: boolean;
  /** Print each item's alert embed drawn for a terminal (ignored with json). */
  render?: boolean;
  /** Draw bold with ANSI escapes in render mode (a terminal); otherwise `**bold**` markers show. */
  ansi?: boolean;
  /**
   * Completes an item before its alert is built, as the bot does (e.g. an article summary and og:image when the feed
   * gives no text). Applied to every item whose alert is printed (render, json); a failure keeps the item as parsed.
   * Default: the item as parsed.
   */
  enrich?: (item: FeedItem) => Promise<FeedItem>;
  /**
   * Without `enrich`: read article pages as the bot does (FETCH_ARTICLES), for items whose feed text is missing or
   * shorter than one sentence. Default true; false: alerts show the feed's text only (--no-articles).
   */
  articles?: boolean;
  allowPrivateAddresses?: boolean;
  /** Where the feed is parsed. Default: a one-thread worker pool (a hostile feed can't hang or crash the check). */
  parsers?: Parsers;
}

/** Runs `herald check`; returns the exit code. Output goes through `write`, one line per call. */
export async function runCheck(options: CheckOptions, write: (line: string) => void): Promise<number> {
  // Feeds and article pages are parsed in a worker, as in the bot: a hostile page can't hang or crash the check.
  const pool = options.parsers ? null : new ParsePool({ threads: 1 });
  const parsers = options.parsers ?? pool!;
  const articles = options.enrich || options.articles === false ? null : checkArticleSummaries(pool?.article ?? inThreadArticleExtractor, options);
  try {
    return await check(options, write, parsers, options.enrich ?? articles?.enrich ?? null);
  } finally {
    await Promise.allSettled([articles?.close(), pool?.close()]);
  }
}

async function check(options: CheckOptions, write: (line: string) => void, parsers: Parsers, enrich: ((item: FeedItem) => Promise<FeedItem>) | null): Promise<number> {
  const fail = (reason: string) => {
    write(options.json ? JSON.stringify({ error: reason }) : `error: ${reason}`);
    return 1;
  };

  let query: Query | undefined;
  let canonical = '';
  if (options.query !== undefined) {
    const parsed = parseQuery(options.query);
    if (!parsed.ok) return fail(`bad query: ${parsed.error.message}${parsed.error.hint ? ` (${parsed.error.hint})` : ''}`);
    query = parsed.query;
    canonical = parsed.canonical;
  }

  let feed: ParsedFeed;
  let source: string;
  try {
    const isFile = existsSync(options.target) && statSync(options.target).isFile();
    const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(options.target);
    // Without a scheme, only something shaped like a host name is taken as a URL; anything else is a missing file.
    if (!isFile && !hasScheme && !/^[a-z0-9-]+(\.[a-z0-9-]+)+(:\d+)?(\/|$)/i.test(options.target)) {
      return fail(`no such file: ${options.target} (give a file path or an http(s) URL)`);
    }
    const parse: FeedParser = (body, opts) => parsers.parse(body, opts);
    let read: { feed: ParsedFeed } | { error: string };
    if (isFile) {
      source = options.target;
      const parsed = await parse(readFileSync(options.target), { contentType: null, url: null });
      read = parsed.ok ? { feed: parsed.feed } : { error: parsed.error.message };
    } else {
      source = normaliseFeedUrl(options.target);
      const fetcher = createFetcher({ userAgent: `HeraldBot/0.1 check (+${REPOSITORY_URL})`, allowPrivateAddresses: options.allowPrivateAddresses });
      let ingested: Ingested;
      try {
        ingested = await ingest(fetcher, parse, { url: source });
      } finally {
        await fetcher.close();
      }
      if (ingested.kind === 'parsed') read = { feed: ingested.feed };
      else if (ingested.kind === 'unparsed') read = { error: ingested.error.message };
      else read = { error: `${source} sent no content` };
      source = ingested.fetched.finalUrl;
    }
    if ('error' in read) return fail(read.error);
    feed = read.feed;
  } catch (error) {
    if (error instanceof FetchError || error instanceof FeedProblem) return fail(error.message);
    return fail(error instanceof Error ? error.message : String(error));
  }

  const feedInfo = { title: feed.title, siteUrl: feed.siteUrl };
  const showAlerts = options.json === true || options.render === true;
  if (!options.json) {
    write(`${feed.title || '(untitled feed)'} — ${feed.items.length} item${feed.items.length === 1 ? '' : 's'} from ${source}`);
    if (query) write(`query: ${canonical}`);
  }
  // The bot's matcher, holding this one query, gives the alert's terms exactly as a channel's route carries them.
  let index: SubscriptionIndex | null = null;
  if (query) {
    index = new SubscriptionIndex();
    index.add('check', query);
  }
  let matches = 0;
  for (const [position, parsed] of feed.items.entries()) {
    // Matching reads the item as the feed gave it, as the bot does; the alert is built from the completed item.
    const matchable = matchableItem(parsed, feedInfo);
    const outcome = query ? evaluateQuery(query, matchable) : null;
    if (outcome?.matched) matches++;
    let alert: ItemAlert | null = null;
    let enrichError: string | undefined;
    if (showAlerts) {
      let item = parsed;
      // as the bot does: only an item that would be posted is completed from its article page
      if (enrich && (!outcome || outcome.matched)) {
        try {
          item = await enrich(parsed);
        } catch (error) {
          enrichError = error instanceof Error ? error.message : String(error);
        }
      }
      alert = itemAlert(feedInfo, item, index && outcome?.matched ? routeTerms(index, matchable) : []);
    }
    if (options.json) {
      write(
        JSON.stringify({
          id: parsed.id,
          title: parsed.title,
          link: parsed.link,
          published: parsed.published,
          image: parsed.image,
          author: parsed.author,
          categories: parsed.categories,
          ...(outcome ? { matched: outcome.matched, terms: outcome.terms } : {}),
          summary: alert!.summary,
          embed: alert!.embed,
          ...(enrichError ? { enrichError } : {}),
        }),
      );
    } else if (options.render) {
      const status = outcome ? (outcome.matched ? ' ✔ would be posted' : ` · not posted: ${outcome.explanation}`) : '';
      write(`\n── ${position + 1}/${feed.items.length}${status} ──`);
      for (const line of renderAlertEmbed(alert!.embed, { ansi: options.ansi === true })) write(line);
      if (enrichError) write(`(article not read: ${enrichError})`);
    } else {
      const mark = outcome ? (outcome.matched ? `✔ [${outcome.terms.join(', ')}] ` : '· ') : '';
      write(`\n${mark}${parsed.title || '(no title)'}`);
      write(`  id: ${parsed.id}`);
      write(`  date: ${parsed.published ?? '(none)'}   link: ${parsed.link ?? '(none)'}`);
      if (parsed.image) write(`  image: ${parsed.image}`);
      if (parsed.author || parsed.categories.length) write(`  author: ${parsed.author ?? '(none)'}   categories: ${parsed.categories.join(', ') || '(none)'}`);
      if (outcome && !outcome.matched) write(`  no match: ${outcome.explanation}`);
    }
  }
  if (!options.json && query) write(`\n${matches} of ${feed.items.length} items match.`);
  return 0;
}

interface ItemAlert {
  summary: string;
  embed: APIEmbed;
}

/** The alert the bot would post for this item (alertSummary + alertEmbed, as composeAlert builds it). */
function itemAlert(feed: { title: string; siteUrl: string | null }, item: FeedItem, matched: readonly MatchedTerm[]): ItemAlert {
  const summary = alertSummary(item);
  return { summary, embed: alertEmbed(feed, item, summary, matched).embed };
}

/** The terms of every matched alternative, each once, in the order routeItem gathers them for a channel. */
function routeTerms(index: SubscriptionIndex, matchable: MatchableItem): MatchedTerm[] {
  const terms: MatchedTerm[] = [];
  for (const matched of index.matchAlternatives(matchable)) {
    for (const term of matched.terms) if (!terms.some((t) => t.text === term.text)) terms.push(term);
  }
  return terms;
}

/** The bot's article summaries for the check: the same fetch limits, extraction and lead rules; a cache for this run. */
function checkArticleSummaries(extract: ArticleExtractor, options: CheckOptions): { enrich: (item: FeedItem) => Promise<FeedItem>; close(): Promise<void> } {
  const { summaries, close } = createArticleSummaries({
    enabled: true,
    fetcherOptions: { userAgent: `HeraldBot/0.1 check (+${REPOSITORY_URL})`, allowPrivateAddresses: options.allowPrivateAddresses },
    extract,
    cache: memoryArticleCache(),
    clock: () => new Date(),
    log: silentLogger,
    maxChars: SUMMARY_MAX_CHARS,
  });
  return {
    // a page that was wanted but not read is reported on the item's line (runCheck's enrich contract: throw)
    async enrich(item) {
      const { item: completed, problem } = await summaries.complete(item);
      if (problem) throw new Error(problem);
      return completed;
    },
    close,
  };
}
