/**
 * Polite feed fetching: conditional GETs, honest User-Agent, compression, a byte cap that also bounds
 * decompressed output, a redirect cap with every hop checked by the address guard, total / connect /
 * header / body timeouts, and global + per-host concurrency caps. One shared keep-alive undici Agent.
 */
import { STATUS_CODES } from 'node:http';
import type { LookupFunction } from 'node:net';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { Agent, request } from 'undici';
import { BlockedAddressError, checkHost, guardedLookup, isBlockedAddress, type IsBlocked } from './address-guard.js';
import { cachedLookup } from './dns-cache.js';
import { isHttpUrl } from '../url/http-url.js';
import { formatBytes } from './bytes.js';

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

export type FetchErrorCode =
  | 'bad-url'
  | 'blocked-address'
  | 'dns'
  | 'timeout'
  | 'too-large'
  | 'too-many-redirects'
  | 'http-status'
  | 'network';

/** A failed fetch. `message` is one plain line fit to show a Discord user. */
export class FetchError extends Error {
  readonly code: FetchErrorCode;
  readonly status?: number;
  readonly url: string;
  /** From Retry-After (seconds or HTTP date) on an error status, when given. */
  readonly retryAfterSeconds?: number;

  constructor(
    code: FetchErrorCode,
    message: string,
    url: string,
    extra: { status?: number; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message.replace(/[\r\n]+/g, ' '), extra.cause !== undefined ? { cause: extra.cause } : undefined);
    this.name = 'FetchError';
    this.code = code;
    this.url = url;
    if (extra.status !== undefined) this.status = extra.status;
    if (extra.retryAfterSeconds !== undefined) this.retryAfterSeconds = extra.retryAfterSeconds;
  }
}

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

// ---------------------------------------------------------------------------------------------
// small helpers

type HeaderValue = string | string[] | undefined;

function header(headers: Record<string, HeaderValue>, name: string): string | null {
  const v = headers[name];
  if (v === undefined) return null;
  return Array.isArray(v) ? (v.length ? v.join(', ') : null) : v;
}

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return s >= 1 ? `${Math.round(s * 10) / 10} s` : `${ms} ms`;
}

/**
 * Freshness lifetime in seconds from Cache-Control max-age (minus Age), else Expires − Date; capped.
 * `no-store` / `no-cache` → 0. Null when the response says nothing.
 */
export function parseMaxAge(headers: Record<string, HeaderValue>, capSeconds: number, nowMs = Date.now()): number | null {
  const cc = header(headers, 'cache-control');
  let result: number | null = null;
  if (cc) {
    const directives = cc
      .toLowerCase()
      .split(',')
      .map((d) => d.trim());
    if (directives.some((d) => d === 'no-store' || d === 'no-cache')) result = 0;
    else {
      for (const d of directives) {
        const m = /^max-age\s*=\s*"?(\d+)"?$/.exec(d);
        if (m) {
          result = Number(m[1]);
          break;
        }
      }
    }
    if (result !== null && result > 0) {
      const age = Number(header(headers, 'age') ?? '0');
      if (Number.isFinite(age) && age > 0) result = Math.max(0, result - Math.floor(age));
    }
  }
  if (result === null) {
    const expires = header(headers, 'expires');
    if (expires) {
      const exp = Date.parse(expires);
      const dateHeader = header(headers, 'date');
      const base = dateHeader ? Date.parse(dateHeader) : nowMs;
      // An invalid Expires (e.g. "0") means "already expired".
      result = Number.isNaN(exp) ? 0 : Math.max(0, Math.floor((exp - (Number.isNaN(base) ? nowMs : base)) / 1000));
    }
  }
  if (result === null) return null;
  return Math.min(Number.isNaN(result) ? 0 : result, capSeconds, MAX_HEADER_SECONDS);
}

/** Retry-After and max-age beyond this are not believed (a day; the scheduler bounds them again). */
const MAX_HEADER_SECONDS = 24 * 60 * 60;

/** Retry-After as seconds (delta-seconds or HTTP date), at most MAX_HEADER_SECONDS, or undefined. */
export function parseRetryAfter(value: string | null, nowMs = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Math.min(Number(v), MAX_HEADER_SECONDS);
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.min(MAX_HEADER_SECONDS, Math.max(0, Math.ceil((t - nowMs) / 1000)));
}

function statusMessage(status: number): string {
  const text = STATUS_CODES[status] ?? 'Unknown Status';
  const base = `the feed answered ${status} ${text}`;
  if (status === 404) return `${base} — check the URL`;
  if (status === 410) return `${base} — the feed has been removed`;
  if (status === 401 || status === 403) return `${base} — the site doesn't let the bot read it`;
  if (status === 429) return `${base} — the site asks us to slow down`;
  if (status >= 500) return `${base} — the site is having trouble, will retry later`;
  return base;
}

class TooLarge extends Error {}

/** A simple FIFO counting semaphore. */
class Semaphore {
  private active = 0;
  private readonly waiters: Array<() => void> = [];
  constructor(private readonly limit: number) {}

  get idle(): boolean {
    return this.active === 0 && this.waiters.length === 0;
  }

  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.active < this.limit && this.waiters.length === 0) {
      this.active++;
      return this.releaser();
    }
    signal?.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        const i = this.waiters.indexOf(grant);
        if (i !== -1) this.waiters.splice(i, 1);
        reject(signal?.reason);
      };
      this.waiters.push(grant);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    return this.releaser();
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiters.shift();
      if (next) next(); // hand the slot over directly
      else this.active--;
    };
  }
}

function decoderFor(coding: string): Transform | null {
  switch (coding) {
    case 'gzip':
    case 'x-gzip':
      return zlib.createGunzip();
    case 'br':
      return zlib.createBrotliDecompress();
    case 'deflate':
      return inflateAuto();
    default:
      return null;
  }
}

/** "deflate" is meant to be zlib-wrapped, but some servers send raw deflate; sniff the first byte. */
function inflateAuto(): Transform {
  let inner: zlib.Inflate | zlib.InflateRaw | null = null;
  const out = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (!inner) {
        // zlib header: CMF low nibble 8 (deflate) and (CMF*256+FLG) % 31 == 0
        const b0 = chunk[0] ?? 0;
        const b1 = chunk[1] ?? 0;
        const zlibWrapped = (b0 & 0x0f) === 8 && ((b0 << 8) | b1) % 31 === 0;
        inner = zlibWrapped ? zlib.createInflate() : zlib.createInflateRaw();
        inner.on('data', (d: Buffer) => out.push(d));
        inner.on('error', (e) => out.destroy(e));
      }
      if (inner.write(chunk)) cb();
      else inner.once('drain', () => cb());
    },
    flush(cb) {
      if (!inner) return cb();
      inner.once('end', () => cb());
      inner.end();
    },
    destroy(err, cb) {
      inner?.destroy();
      cb(err);
    },
  });
  return out;
}

function isTimeoutError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return (
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'ETIMEDOUT' ||
    (e as Error | null)?.name === 'TimeoutError'
  );
}

/** Walk `.cause` chains to find an error matching `pred`. */
function findCause<T>(e: unknown, pred: (x: unknown) => x is T): T | null {
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur; i++) {
    if (pred(cur)) return cur;
    cur = (cur as { cause?: unknown }).cause;
  }
  return null;
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ENODATA', 'EAI_NONAME', 'EAI_FAIL', 'ESERVFAIL']);

// ---------------------------------------------------------------------------------------------

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

  async function readBody(body: Readable, encoding: string | null, signal: AbortSignal): Promise<Buffer> {
    const codings = (encoding ?? '')
      .toLowerCase()
      .split(',')
      .map((c) => c.trim())
      .filter((c) => c && c !== 'identity');
    const decoders: Transform[] = [];
    for (const c of codings.reverse()) {
      const d = decoderFor(c);
      if (!d) throw new Error(`unsupported content encoding ${c}`);
      decoders.push(d);
    }
    // Either counter tripping sets `overCap`: pipeline may surface a secondary error (an AbortError from
    // tearing down the other streams) rather than ours, so the flag is what decides.
    let overCap = false;
    let raw = 0;
    const rawCounter = new Transform({
      transform(chunk: Buffer, _e, cb) {
        raw += chunk.length;
        if (raw > maxBytes) {
          overCap = true;
          cb(new TooLarge());
        } else cb(null, chunk);
      },
    });
    const chunks: Buffer[] = [];
    let total = 0;
    const sink = async (source: AsyncIterable<Buffer>): Promise<void> => {
      for await (const chunk of source) {
        total += chunk.length;
        if (total > maxBytes) {
          overCap = true;
          throw new TooLarge();
        }
        chunks.push(chunk);
      }
    };
    try {
      await (pipeline as (...args: unknown[]) => Promise<void>)(body, rawCounter, ...decoders, sink, { signal });
    } catch (e) {
      if (overCap && !signal.aborted) throw new TooLarge();
      throw e;
    }
    return Buffer.concat(chunks, total);
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
          body = await readBody(res.body, header(rh, 'content-encoding'), ctl.signal);
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
        userAborted: req.signal?.aborted === true,
        userReason: req.signal?.reason,
      });
    } finally {
      if (timer) clearTimeout(timer);
      req.signal?.removeEventListener('abort', onUserAbort);
      release();
    }
  }

  function translateError(e: unknown, url: string, ctx: { timedOut: boolean; userAborted: boolean; userReason: unknown }): unknown {
    if (e instanceof FetchError) return e;
    if (ctx.userAborted && !ctx.timedOut) return ctx.userReason ?? e;
    if (ctx.timedOut || findCause(e, (x): x is Error => isTimeoutError(x))) {
      const hint = ctx.timedOut ? formatSeconds(timeoutMs) : undefined;
      return new FetchError(
        'timeout',
        hint ? `the feed took longer than ${hint} to answer` : 'the feed took too long to answer',
        url,
        { cause: e },
      );
    }
    const blocked = findCause(e, (x): x is BlockedAddressError => x instanceof BlockedAddressError);
    if (blocked) return new FetchError('blocked-address', blocked.message, url, { cause: e });
    const host = safeHost(url);
    const coded = findCause(e, (x): x is NodeJS.ErrnoException => typeof (x as { code?: unknown })?.code === 'string');
    const code = coded?.code ?? '';
    if (DNS_CODES.has(code)) {
      return new FetchError('dns', `couldn't find the host ${host} (DNS lookup failed)`, url, { cause: e });
    }
    const why: Record<string, string> = {
      ECONNREFUSED: 'connection refused',
      ECONNRESET: 'connection reset',
      EHOSTUNREACH: 'host unreachable',
      ENETUNREACH: 'network unreachable',
      EPIPE: 'connection closed',
      UND_ERR_SOCKET: 'connection closed unexpectedly',
      UND_ERR_CLOSED: 'connection closed',
      HPE_INVALID_CONSTANT: 'the server sent an invalid HTTP response',
    };
    const tlsish = /CERT|SSL|TLS|_KEY_|SELF_SIGNED/i.test(code);
    const reason = why[code] ?? (tlsish ? 'TLS certificate problem' : code.startsWith('HPE_') ? 'invalid HTTP response' : 'network error');
    return new FetchError('network', `couldn't reach ${host} (${reason})`, url, { cause: e });
  }

  return {
    fetch: fetchOnce,
    async close() {
      await agent.close();
    },
  };
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url.slice(0, 100);
  }
}
