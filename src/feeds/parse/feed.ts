// Feed bytes (+ Content-Type) → normalised items, or a typed error. Never throws.
import { gunzipSync } from 'node:zlib';
import { DEFAULT_MAX_FEED_BYTES, formatBytes } from '../fetch/bytes.js';
import { decodeFeedBytes } from './decode.js';
import { isJsonFeed, normaliseJsonFeed } from './json.js';
import { parseXmlFeed, sniffRoot } from './xml.js';
import type { ParsedFeed } from '../types.js';

/**
 * `too-large`: over the byte cap once decompressed, or past the parser's memory limit. `timeout`: past the parser's
 * time limit. `crashed`: the parser's worker died. The last three come from the worker pool (pool.ts).
 */
export type FeedParseErrorCode = 'empty' | 'html-page' | 'not-a-feed' | 'malformed' | 'too-large' | 'timeout' | 'crashed';

export class FeedParseError extends Error {
  readonly code: FeedParseErrorCode;
  constructor(code: FeedParseErrorCode, message: string) {
    // one line, bounded: it is shown to users
    super(message.replace(/\s+/g, ' ').trim().slice(0, 300));
    this.name = 'FeedParseError';
    this.code = code;
  }
}

export type ParseResult = { ok: true; feed: ParsedFeed; encoding: string } | { ok: false; error: FeedParseError };

/** What parses feed bytes: parseFeed in this thread, or the worker pool (pool.ts). Never rejects. */
export type FeedParser = (body: Uint8Array, opts: ParseOptions) => Promise<ParseResult>;

export interface ParseOptions {
  contentType?: string | null;
  /** The feed's own URL: base for relative links when the feed declares none. */
  url?: string | null;
  /**
   * Byte cap on a body that arrives gzipped without Content-Encoding, after decompression: the same cap the fetcher
   * puts on downloads (MAX_FEED_BYTES), so every decompressed byte counts. Default 5 MiB.
   */
  maxBytes?: number;
}

const FEED_ROOTS = /^(?:[\w.-]+:)?(?:rss|feed|RDF|rdf|channel)$/;

function fail(code: FeedParseErrorCode, message: string): ParseResult {
  return { ok: false, error: new FeedParseError(code, message) };
}

function looksLikeJson(text: string, contentType: string | null | undefined): boolean {
  const c = text.trimStart()[0];
  return c === '{' || (c === '[' && /json/i.test(contentType ?? ''));
}

async function parseInner(body: Uint8Array, opts: ParseOptions): Promise<ParseResult> {
  if (!body || body.byteLength === 0) return fail('empty', 'the URL returned an empty response');
  // A .gz feed served without Content-Encoding.
  if (body[0] === 0x1f && body[1] === 0x8b) {
    const maxBytes = Math.max(1, opts.maxBytes ?? DEFAULT_MAX_FEED_BYTES);
    try {
      body = gunzipSync(body, { maxOutputLength: maxBytes });
    } catch (e) {
      if ((e as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
        return fail('too-large', `the feed is larger than the ${formatBytes(maxBytes)} limit once decompressed`);
      }
      return fail('malformed', 'the response is compressed data that could not be decompressed');
    }
  }
  const { text, encoding } = decodeFeedBytes(body, opts.contentType);
  const url = opts.url ?? null;
  if (text.trim() === '') return fail('empty', 'the URL returned an empty response');

  if (looksLikeJson(text, opts.contentType)) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      const why = e instanceof Error ? e.message : 'invalid JSON';
      return fail('malformed', `the JSON feed could not be read: ${why}`);
    }
    if (!isJsonFeed(doc)) return fail('not-a-feed', 'this URL returned JSON, but not a JSON Feed');
    return { ok: true, feed: normaliseJsonFeed(doc, url), encoding };
  }

  const root = sniffRoot(text);
  if (root === null) {
    return /^\s*</.test(text)
      ? fail('malformed', 'the response is not well-formed XML (no root element)')
      : fail('not-a-feed', 'this URL did not return an RSS, Atom or JSON feed');
  }
  const rootLower = root.toLowerCase();
  if (rootLower === 'html' || rootLower === 'head' || rootLower === 'body' || /^(?:\w+:)?html$/.test(rootLower)) {
    return fail('html-page', 'this URL returned an HTML page, not a feed');
  }
  if (!FEED_ROOTS.test(root)) {
    if (rootLower === 'opml') return fail('not-a-feed', 'this URL returned an OPML subscription list, not a feed');
    return fail('not-a-feed', `this URL returned an XML document (<${root.slice(0, 40)}>), not an RSS or Atom feed`);
  }

  const res = await parseXmlFeed(text, url);
  if (res.ok) return { ok: true, feed: res.feed, encoding };
  if (res.kind === 'not-a-feed') return fail('not-a-feed', `this URL did not return a feed: ${res.reason}`);
  return fail('malformed', `the feed is not well-formed XML: ${res.reason}`);
}

/**
 * Parses feed bytes (RSS 0.9x/1.0/2.0, Atom 0.3/1.0, JSON Feed 1.0/1.1) into normalised items.
 * Never throws or rejects: failures come back as `{ ok: false, error }` with a one-line reason.
 */
export async function parseFeed(body: Uint8Array, opts: ParseOptions = {}): Promise<ParseResult> {
  try {
    return await parseInner(body, opts ?? {});
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return fail('malformed', `the feed could not be parsed: ${why.split('\n')[0] ?? ''}`);
  }
}
