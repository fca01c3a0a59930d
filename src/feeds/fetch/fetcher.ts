/**
 * Polite feed fetching: conditional GETs, honest User-Agent, compression, a byte cap that also bounds
 * decompressed output, a redirect cap with every hop checked by the address guard, total / connect /
 * header / body timeouts, and global + per-host concurrency caps. One shared keep-alive undici Agent.
 * The pieces: semaphore.ts (the caps), decompress.ts (capped body reading), cache-headers.ts (max-age, Retry-After),
 * fetch-error.ts (what the user is told).
 */
import type { LookupFunction } from 'node:net';
import { Agent, request } from 'undici';
import { checkHost, guardedLookup, isBlockedAddress, type IsBlocked } from './address-guard.js';
import { cachedLookup } from './dns-cache.js';
import { isHttpUrl } from '../url/http-url.js';
import { formatBytes } from './bytes.js';
import { header, parseMaxAge, parseRetryAfter, type HeaderValue } from './cache-headers.js';
import { readCappedBody, TooLarge } from './decompress.js';
import { FetchError, statusMessage, translateError } from './fetch-error.js';
import { Semaphore } from './semaphore.js';

export interface FetcherOptions {
  /** Honest UA naming the bot + repo URL. */
  userAgent: string;
  /** Total time for one fetch (all hops, headers and body). Default 15000. */
  timeoutMs?: number;
  /** TCP/TLS connect timeout. Default 5000. */
  connectTimeoutMs?: number;
  /** Byte cap on the body, both as received and after decompression. Default 5 MiB. */
  maxBytes?: number;
  /** Default 5. */
  maxRedirects?: number;
  /** Default false. */
  allowPrivateAddresses?: boolean;
  /** Injectable DNS (tests). Default: the caching lookup from dns-cache.ts. */
  lookup?: LookupFunction;
  /** Which resolved addresses are refused. Default `isBlockedAddress`; a test hook. */
  isBlocked?: IsBlocked;
  /** Global cap on requests in flight. Default 32. */
  maxConcurrent?: number;
  /** Per-host cap (by hostname). Default 4. */
  maxPerHost?: number;
  /** Cap applied to Cache-Control max-age. Default 3600. */
  maxAgeCapSeconds?: number;
}

export interface FetchRequest {
  url: string;
  etag?: string | null;
  lastModified?: string | null;
  signal?: AbortSignal;
}

export type FetchOutcome =
  | {
      kind: 'ok';
      status: number;
      body: Buffer;
      contentType: string | null;
      etag: string | null;
      lastModified: string | null;
      finalUrl: string;
      maxAgeSeconds: number | null;
    }
  | { kind: 'not-modified'; etag: string | null; lastModified: string | null; finalUrl: string; maxAgeSeconds: number | null };

export interface Fetcher {
  /**
   * Fetch a feed. Rejects with FetchError; if `req.signal` aborts, rejects with the signal's reason instead.
   */
  fetch(req: FetchRequest): Promise<FetchOutcome>;
  close(): Promise<void>;
}

const DEFAULT_ACCEPT =
  'application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5';

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export function createFetcher(opts: FetcherOptions): Fetcher {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const connectTimeoutMs = Math.min(opts.connectTimeoutMs ?? 5_000, timeoutMs);
  const maxBytes = opts.maxBytes ?? 5 * 1024 * 1024;
  const maxRedirects = opts.maxRedirects ?? 5;
  const allowPrivate = opts.allowPrivateAddresses ?? false;
  const baseLookup: LookupFunction = opts.lookup ?? cachedLookup;
  const isBlocked: IsBlocked = opts.isBlocked ?? isBlockedAddress;
  const maxPerHost = Math.max(1, opts.maxPerHost ?? 4);
  const maxAgeCap = opts.maxAgeCapSeconds ?? 3600;
  const global = new Semaphore(Math.max(1, opts.maxConcurrent ?? 32));
  const perHost = new Map<string, Semaphore>();

  const agent = new Agent({
    connections: maxPerHost,
    keepAliveTimeout: 10_000,
    keepAliveMaxTimeout: 60_000,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: {
      timeout: connectTimeoutMs,
      // The socket connects to exactly the addresses this lookup returns, so the re-check here is what
      // defeats DNS rebinding between the pre-flight check and the connect.
      lookup: allowPrivate ? baseLookup : guardedLookup(baseLookup, isBlocked),
    },
  });

  async function acquireHost(host: string, signal: AbortSignal): Promise<() => void> {
    let sem = perHost.get(host);
    if (!sem) {
      sem = new Semaphore(maxPerHost);
      perHost.set(host, sem);
    }
    const release = await sem.acquire(signal);
    return () => {
      release();
      if (sem.idle && perHost.get(host) === sem) perHost.delete(host);
    };
  }

  async function fetchOnce(req: FetchRequest): Promise<FetchOutcome> {
    let current: URL;
    try {
      current = new URL(req.url);
    } catch {
      throw new FetchError('bad-url', `that isn't a valid web address: ${req.url.slice(0, 200)}`, req.url);
    }

    const ctl = new AbortController();
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const onUserAbort = (): void => ctl.abort(req.signal?.reason);
    if (req.signal?.aborted) throw req.signal.reason;
    req.signal?.addEventListener('abort', onUserAbort, { once: true });
    const startTimer = (): void => {
      if (timer) return;
      timer = setTimeout(() => {
        timedOut = true;
        ctl.abort(new Error('timeout'));
      }, timeoutMs);
      timer.unref?.();
    };

    const releaseAll: Array<() => void> = [];
    const release = (): void => {
      while (releaseAll.length) releaseAll.pop()!();
    };

    try {
      for (let hop = 0; ; hop++) {
        const urlStr = current.href;
        if (!isHttpUrl(current)) {
          throw new FetchError(
            'bad-url',
            `only http and https feeds are supported (got ${current.protocol.replace(/:$/, '')})`,
            urlStr,
          );
        }
        if (current.username || current.password) {
          throw new FetchError('bad-url', 'feed addresses with a user name or password are not supported', urlStr);
        }
        const host = current.hostname.toLowerCase();

        // Concurrency slots (waiting in the queue does not count towards the timeout; the first hop starts it).
        releaseAll.push(await global.acquire(ctl.signal));
        releaseAll.push(await acquireHost(host, ctl.signal));
        startTimer();

        if (!allowPrivate) {
          await checkHost(host, baseLookup, isBlocked);
          if (ctl.signal.aborted) throw ctl.signal.reason;
        }

        const headers: Record<string, string> = {
          'user-agent': opts.userAgent,
          accept: DEFAULT_ACCEPT,
          'accept-encoding': 'gzip, deflate, br',
        };
        if (req.etag) headers['if-none-match'] = req.etag;
        if (req.lastModified) headers['if-modified-since'] = req.lastModified;

        const res = await request(current, {
          method: 'GET',
          dispatcher: agent,
          headers,
          signal: ctl.signal,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
        const status = res.statusCode;
        const rh = res.headers as Record<string, HeaderValue>;

        if (REDIRECT_STATUSES.has(status)) {
          const location = header(rh, 'location');
          await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
          if (!location) {
            throw new FetchError('http-status', `the feed answered ${status} without saying where it moved`, urlStr, { status });
          }
          if (hop + 1 > maxRedirects) {
            throw new FetchError('too-many-redirects', `the feed redirected more than ${maxRedirects} times`, urlStr, {
              status,
            });
          }
          let next: URL;
          try {
            next = new URL(location, current);
          } catch {
            throw new FetchError('bad-url', `the feed redirected to an invalid address`, urlStr, { status });
          }
          release();
          current = next;
          continue;
        }

        const etag = header(rh, 'etag');
        const lastModified = header(rh, 'last-modified');
        const maxAgeSeconds = parseMaxAge(rh, maxAgeCap);

        if (status === 304) {
          await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
          return {
            kind: 'not-modified',
            etag: etag ?? req.etag ?? null,
            lastModified: lastModified ?? req.lastModified ?? null,
            finalUrl: urlStr,
            maxAgeSeconds,
          };
        }

        if (status < 200 || status >= 300) {
          await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
          const retryAfterSeconds = status === 429 || status === 503 ? parseRetryAfter(header(rh, 'retry-after')) : undefined;
          throw new FetchError('http-status', statusMessage(status), urlStr, {
            status,
            ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
          });
        }

        const cl = header(rh, 'content-length');
        if (cl !== null && /^\d+$/.test(cl.trim()) && Number(cl) > maxBytes) {
          res.body.destroy();
          throw new FetchError('too-large', `the feed is larger than the ${formatBytes(maxBytes)} limit`, urlStr);
        }

        let body: Buffer;
        try {
          body = await readCappedBody(res.body, header(rh, 'content-encoding'), ctl.signal, maxBytes);
        } catch (e) {
          res.body.destroy();
          if (e instanceof TooLarge) {
            throw new FetchError('too-large', `the feed is larger than the ${formatBytes(maxBytes)} limit`, urlStr);
          }
          if (e instanceof Error && e.message.startsWith('unsupported content encoding')) {
            throw new FetchError('network', `the feed used an ${e.message}`, urlStr, { cause: e });
          }
          if (!ctl.signal.aborted && (e as { code?: string }).code?.startsWith('Z_')) {
            throw new FetchError('network', 'the feed sent a corrupt compressed body', urlStr, { cause: e });
          }
          throw e;
        }
        return {
          kind: 'ok',
          status,
          body,
          contentType: header(rh, 'content-type'),
          etag,
          lastModified,
          finalUrl: urlStr,
          maxAgeSeconds,
        };
      }
    } catch (e) {
      throw translateError(e, current.href, {
        timedOut,
        timeoutMs,
        userAborted: req.signal?.aborted === true,
        userReason: req.signal?.reason,
      });
    } finally {
      if (timer) clearTimeout(timer);
      req.signal?.removeEventListener('abort', onUserAbort);
      release();
    }
  }

  return {
    fetch: fetchOnce,
    async close() {
      await agent.close();
    },
  };
}
