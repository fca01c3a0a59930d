/**
 * The one ingest path: fetch → decode → parse → normalise. The poller, /feed add (FeedService), discovery and
 * `herald check` all read a feed through `ingest`; what comes back is a value, and what to store is the caller's.
 * `commitIngested` is the one order of writes after a successful parse (seen, recent, feed record).
 */
import { createHash } from 'node:crypto';
import type { FeedRecord, FeedStore, SeenRecord } from './records.js';
import type { FetchOutcome, Fetcher, FetchRequest } from './fetch/fetcher.js';
import type { FeedParser, FeedParseError } from './parse/feed.js';
import { recentItemsRecord } from './poll/recent.js';
import type { ParsedFeed } from './types.js';

type Fetched = Extract<FetchOutcome, { kind: 'ok' }>;

export type Ingested =
  /** The server said the feed has not changed since the validators sent (a conditional request). */
  | { kind: 'not-modified'; fetched: Extract<FetchOutcome, { kind: 'not-modified' }> }
  /** The body's hash matched `knownBodyHash`: not parsed again. */
  | { kind: 'same-body'; fetched: Fetched; bodyHash: string }
  | { kind: 'parsed'; fetched: Fetched; bodyHash: string; feed: ParsedFeed; encoding: string }
  /** The body did not parse; the error says why in words for the user (and `html-page` for a web page). */
  | { kind: 'unparsed'; fetched: Fetched; bodyHash: string; error: FeedParseError };

export interface IngestRequest extends FetchRequest {
  /** The hash of the body parsed last time: the same bytes are not parsed again. */
  knownBodyHash?: string | null;
}

/** Fetches a feed and parses it. Rejects only as the fetcher does (FetchError, or the signal's reason). */
export async function ingest(fetcher: Fetcher, parse: FeedParser, request: IngestRequest): Promise<Ingested> {
  const { knownBodyHash, ...fetchRequest } = request;
  const fetched = await fetcher.fetch(fetchRequest);
  if (fetched.kind === 'not-modified') return { kind: 'not-modified', fetched };
  const bodyHash = createHash('sha1').update(fetched.body).digest('base64');
  if (knownBodyHash && knownBodyHash === bodyHash) return { kind: 'same-body', fetched, bodyHash };
  const parsed = await parse(fetched.body, { contentType: fetched.contentType, url: fetched.finalUrl });
  if (!parsed.ok) return { kind: 'unparsed', fetched, bodyHash, error: parsed.error };
  return { kind: 'parsed', fetched, bodyHash, feed: parsed.feed, encoding: parsed.encoding };
}

/**
 * Stores what a successful parse learned, in the order a crash can tolerate: the seen-set first (a crash after it
 * re-detects nothing), then the recent items, then the feed record (its validators last, so a crash before it
 * fetches and parses the body again).
 */
export async function commitIngested(store: Pick<FeedStore, 'seen' | 'recent' | 'feeds'>, url: string, feed: ParsedFeed, seen: SeenRecord, record: FeedRecord, now: Date): Promise<void> {
  await store.seen.set(url, seen);
  await store.recent.set(url, recentItemsRecord(feed.items, now));
  await store.feeds.set(url, record);
}
