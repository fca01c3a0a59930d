// What the parse workers do, as one pure function: feed bytes, an HTML page (feed discovery, or an article's lead) or
// an OPML document in, plain structured-clone-friendly data out. Runs in a worker thread (worker.ts) or in this thread
// (tests, CLI fallbacks) with the same result.
import { discoverFeedLinks, type DiscoveredFeed } from './discover.js';
import { parseOpml, type OpmlParseResult } from './opml.js';
import { FeedParseError, parseFeed, type FeedParseErrorCode, type ParseResult } from './feed.js';
import type { ParsedFeed } from '../types.js';
import { extractArticle, type ArticleExtract } from '../article/extract.js';
import { decodeFeedBytes } from './decode.js';

export type ParseJob =
  | { kind: 'feed'; body: Uint8Array; contentType: string | null; url: string | null; maxBytes?: number }
  | { kind: 'discover'; body: Uint8Array; url: string }
  | { kind: 'opml'; body: Uint8Array }
  | { kind: 'article'; body: Uint8Array; contentType: string | null; url: string; maxChars: number };

/** A ParseResult as it crosses threads: errors as code + message (an Error subclass would lose its class and code). */
export type WireParseResult = { ok: true; feed: ParsedFeed; encoding: string } | { ok: false; code: FeedParseErrorCode; message: string };

export type ParseJobResult =
  | { kind: 'feed'; result: WireParseResult }
  | { kind: 'discover'; feeds: DiscoveredFeed[] }
  | { kind: 'opml'; result: OpmlParseResult }
  | { kind: 'article'; result: ArticleExtract };

/** A job as sent to a worker: `started` is where the worker writes when it began (ms since the epoch, 0 = not yet). */
export interface ParseTask {
  job: ParseJob;
  started: SharedArrayBuffer;
}

export function newStartedCell(): SharedArrayBuffer {
  return new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT);
}
export function markStarted(cell: SharedArrayBuffer): void {
  Atomics.store(new BigInt64Array(cell), 0, BigInt(Date.now()));
}
/** When the worker began the job (ms since the epoch), or null while it waits for a worker to be ready. */
export function startedAt(cell: SharedArrayBuffer): number | null {
  const ms = Number(Atomics.load(new BigInt64Array(cell), 0));
  return ms > 0 ? ms : null;
}

/** The worker's handler: notes the start (the time limit counts from here, not from a worker's boot), then works. */
export async function handleParseTask(task: ParseTask): Promise<ParseJobResult> {
  markStarted(task.started);
  return runParseJob(task.job);
}

const text = (body: Uint8Array): string => Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');

function toWire(result: ParseResult): WireParseResult {
  return result.ok ? result : { ok: false, code: result.error.code, message: result.error.message };
}

export function fromWire(result: WireParseResult): ParseResult {
  return result.ok ? result : { ok: false, error: new FeedParseError(result.code, result.message) };
}

export async function runParseJob(job: ParseJob): Promise<ParseJobResult> {
  switch (job.kind) {
    case 'feed': {
      const result = await parseFeed(job.body, { contentType: job.contentType, url: job.url, ...(job.maxBytes ? { maxBytes: job.maxBytes } : {}) });
      return { kind: 'feed', result: toWire(result) };
    }
    case 'discover':
      return { kind: 'discover', feeds: discoverFeedLinks(text(job.body), job.url) };
    case 'opml':
      return { kind: 'opml', result: parseOpml(text(job.body)) };
    case 'article':
      // decodeFeedBytes honours the Content-Type charset and <meta charset>, as for feeds
      return { kind: 'article', result: extractArticle(decodeFeedBytes(job.body, job.contentType).text, job.url, { maxChars: job.maxChars }) };
  }
}
