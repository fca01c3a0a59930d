// `herald check`: a feed as Herald sees it, without Discord.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { matchableItem } from '../alerts/matchable-item.js';
import { REPOSITORY_URL } from '../config/config.js';
import { FeedProblem, normaliseFeedUrl } from '../feeds/follow/feed-service.js';
import { FetchError } from '../feeds/fetch/fetch-error.js';
import { createFetcher } from '../feeds/fetch/fetcher.js';
import { ingest, type Ingested } from '../feeds/ingest.js';
import type { FeedParser } from '../feeds/parse/feed.js';
import { ParsePool, type Parsers } from '../feeds/parse/pool.js';
import type { ParsedFeed } from '../feeds/types.js';
import { evaluateQuery } from '../match/evaluate.js';
import { parseQuery, type Query } from '../match/query.js';

export const CHECK_USAGE = `Usage: npm run herald -- check <feed-url-or-file> [--query "<query>"] [--json]
  Fetches (or reads) a feed, prints its items the way Herald sees them and, with --query, which items match.`;

export interface CheckOptions {
  target: string;
  query?: string;
  json?: boolean;
  allowPrivateAddresses?: boolean;
  /** Where the feed is parsed. Default: a one-thread worker pool (a hostile feed can't hang or crash the check). */
  parsers?: Parsers;
}

/** Runs `herald check`; returns the exit code. Output goes through `write`, one line per call. */
export async function runCheck(options: CheckOptions, write: (line: string) => void): Promise<number> {
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
    const pool = options.parsers ? null : new ParsePool({ threads: 1 });
    const parsers = options.parsers ?? pool!;
    const parse: FeedParser = (body, opts) => parsers.parse(body, opts);
    let read: { feed: ParsedFeed } | { error: string };
    try {
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
    } finally {
      await pool?.close();
    }
    if ('error' in read) return fail(read.error);
    feed = read.feed;
  } catch (error) {
    if (error instanceof FetchError || error instanceof FeedProblem) return fail(error.message);
    return fail(error instanceof Error ? error.message : String(error));
  }

  const feedInfo = { title: feed.title, siteUrl: feed.siteUrl };
  if (!options.json) {
    write(`${feed.title || '(untitled feed)'} — ${feed.items.length} item${feed.items.length === 1 ? '' : 's'} from ${source}`);
    if (query) write(`query: ${canonical}`);
  }
  let matches = 0;
  for (const item of feed.items) {
    const outcome = query ? evaluateQuery(query, matchableItem(item, feedInfo)) : null;
    if (outcome?.matched) matches++;
    if (options.json) {
      write(
        JSON.stringify({
          id: item.id,
          title: item.title,
          link: item.link,
          published: item.published,
          image: item.image,
          author: item.author,
          categories: item.categories,
          ...(outcome ? { matched: outcome.matched, terms: outcome.terms } : {}),
        }),
      );
    } else {
      const mark = outcome ? (outcome.matched ? `✔ [${outcome.terms.join(', ')}] ` : '· ') : '';
      write(`\n${mark}${item.title || '(no title)'}`);
      write(`  id: ${item.id}`);
      write(`  date: ${item.published ?? '(none)'}   link: ${item.link ?? '(none)'}`);
      if (item.image) write(`  image: ${item.image}`);
      if (item.author || item.categories.length) write(`  author: ${item.author ?? '(none)'}   categories: ${item.categories.join(', ') || '(none)'}`);
      if (outcome && !outcome.matched) write(`  no match: ${outcome.explanation}`);
    }
  }
  if (!options.json && query) write(`\n${matches} of ${feed.items.length} items match.`);
  return 0;
}

