import type { LookupFunction } from 'node:net';
import zlib from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isBlockedAddress } from '../../../src/feeds/fetch/address-guard.js';
import { parseMaxAge, parseRetryAfter } from '../../../src/feeds/fetch/cache-headers.js';
import { FetchError } from '../../../src/feeds/fetch/fetch-error.js';
import { createFetcher, type Fetcher, type FetcherOptions } from '../../../src/feeds/fetch/fetcher.js';
import { rssFeed, startFeedServer, type FeedServer } from '../../harness/feed-server.js';

const UA = 'HeraldBot/0.1 (+https://github.com/example/herald)';
const FEED = rssFeed({
  title: 'Test Feed',
  link: 'https://example.test/',
  items: [{ title: 'Hello', link: 'https://example.test/a', guid: 'a', pubDate: 'Mon, 01 Jan 2024 00:00:00 GMT' }],
});

/** Fake DNS: every name in the table → its address; anything else → ENOTFOUND. Never touches real DNS. */
function fakeLookup(table: Record<string, string | (() => string)>): LookupFunction & { calls: string[] } {
  const calls: string[] = [];
  const fn = ((hostname: string, options: { all?: boolean }, cb: (...a: unknown[]) => void) => {
    calls.push(hostname);
    const entry = table[hostname];
    if (entry === undefined) {
      const e = new Error(`getaddrinfo ENOTFOUND ${hostname}`) as NodeJS.ErrnoException;
      e.code = 'ENOTFOUND';
      return setImmediate(() => cb(e, '', undefined));
    }
    const address = typeof entry === 'function' ? entry() : entry;
    const family = address.includes(':') ? 6 : 4;
    setImmediate(() => (options.all ? cb(null, [{ address, family }]) : cb(null, address, family)));
  }) as unknown as LookupFunction & { calls: string[] };
  fn.calls = calls;
  return fn;
}

/** Treat 127.0.0.1 as a public address (the test server lives there) but keep everything else guarded. */
const loopbackOnePublic = (ip: string) => ip !== '127.0.0.1' && isBlockedAddress(ip);

let srv: FeedServer;
const fetchers: Fetcher[] = [];
function make(opts: Partial<FetcherOptions> = {}): Fetcher {
  const f = createFetcher({
    userAgent: UA,
    lookup: fakeLookup({ 'feeds.test': '127.0.0.1' }),
    allowPrivateAddresses: true,
    ...opts,
  });
  fetchers.push(f);
  return f;
}
async function fetchError(p: Promise<unknown>): Promise<FetchError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(FetchError);
  return e as FetchError;
}

beforeAll(async () => {
  srv = await startFeedServer();
});
afterEach(async () => {
  await Promise.all(fetchers.splice(0).map((f) => f.close()));
});
afterAll(async () => {
  await srv.close();
});

describe('conditional requests', () => {
  it('returns the body with its ETag, then 304 not-modified with If-None-Match', async () => {
    srv.set('/etag', FEED, { headers: { 'cache-control': 'max-age=120' } });
    const f = make();
    const first = await f.fetch({ url: srv.url('/etag') });
    expect(first.kind).toBe('ok');
    if (first.kind !== 'ok') return;
    expect(first.status).toBe(200);
    expect(first.body.toString('utf8')).toBe(FEED);
    expect(first.contentType).toContain('application/rss+xml');
    expect(first.etag).toMatch(/^"[0-9a-f]+"$/);
    expect(first.finalUrl).toBe(srv.url('/etag'));
    expect(first.maxAgeSeconds).toBe(120);

    const second = await f.fetch({ url: srv.url('/etag'), etag: first.etag });
    expect(second).toEqual({
      kind: 'not-modified',
      etag: first.etag,
      lastModified: null,
      finalUrl: srv.url('/etag'),
      maxAgeSeconds: 120,
    });
    const reqs = srv.requests.filter((r) => r.path === '/etag');
    expect(reqs.map((r) => r.status)).toEqual([200, 304]);
    expect(reqs[1]!.headers['if-none-match']).toBe(first.etag);
  });

  it('sends the polite headers', async () => {
    srv.set('/headers', FEED);
    await make().fetch({ url: srv.url('/headers') });
    const h = srv.requests.find((r) => r.path === '/headers')!.headers;
    expect(h['user-agent']).toBe(UA);
    expect(h['accept']).toContain('application/rss+xml');
    expect(h['accept']).toContain('application/feed+json');
    expect(h['accept-encoding']).toBe('gzip, deflate, br');
    expect(h['if-none-match']).toBeUndefined();
  });

  it('uses Last-Modified / If-Modified-Since', async () => {
    const lm = 'Tue, 02 Jan 2024 10:00:00 GMT';
    srv.set('/lm', FEED, { etag: false, lastModified: lm });
    const f = make();
    const first = await f.fetch({ url: srv.url('/lm') });
    expect(first).toMatchObject({ kind: 'ok', etag: null, lastModified: lm });
    const second = await f.fetch({ url: srv.url('/lm'), lastModified: lm });
    expect(second).toMatchObject({ kind: 'not-modified', lastModified: lm });
    expect(srv.requests.filter((r) => r.path === '/lm')[1]!.headers['if-modified-since']).toBe(lm);
  });
});

describe('compression', () => {
  it('decompresses gzip, br and deflate (zlib and raw) bodies', async () => {
    srv.set('/gz', zlib.gzipSync(FEED), { headers: { 'content-encoding': 'gzip' } });
    srv.set('/br', zlib.brotliCompressSync(FEED), { headers: { 'content-encoding': 'br' } });
    srv.set('/deflate', zlib.deflateSync(FEED), { headers: { 'content-encoding': 'deflate' } });
    srv.set('/rawdeflate', zlib.deflateRawSync(FEED), { headers: { 'content-encoding': 'deflate' } });
    const f = make();
    for (const p of ['/gz', '/br', '/deflate', '/rawdeflate']) {
      const out = await f.fetch({ url: srv.url(p) });
      expect(out.kind, p).toBe('ok');
      if (out.kind === 'ok') expect(out.body.toString('utf8'), p).toBe(FEED);
    }
  });

  it('reports a corrupt compressed body as a network error', async () => {
    srv.set('/badgz', Buffer.from('definitely not gzip'), { headers: { 'content-encoding': 'gzip' } });
    const e = await fetchError(make().fetch({ url: srv.url('/badgz') }));
    expect(e.code).toBe('network');
  });
});

describe('byte cap', () => {
  it('rejects early when Content-Length is over the cap', async () => {
    srv.set('/big', Buffer.alloc(200_000, 'a'));
    const e = await fetchError(make({ maxBytes: 100_000 }).fetch({ url: srv.url('/big') }));
    expect(e.code).toBe('too-large');
    expect(e.message).toBe('the feed is larger than the 98 KB limit');
  });

  it('the default cap message reads 5 MB', async () => {
    srv.set('/huge', Buffer.alloc(5 * 1024 * 1024 + 1, 'a'));
    const e = await fetchError(make().fetch({ url: srv.url('/huge') }));
    expect(e.message).toBe('the feed is larger than the 5 MB limit');
  });

  it('stops a chunked body that crosses the cap mid-stream', async () => {
    let written = 0;
    let closed = false;
    srv.handle('/chunked', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/rss+xml' }); // no Content-Length → chunked
      const chunk = Buffer.alloc(16 * 1024, 'x');
      const timer = setInterval(() => {
        if (written > 10 * 1024 * 1024) {
          clearInterval(timer);
          res.end();
          return;
        }
        written += chunk.length;
        res.write(chunk);
      }, 1);
      res.on('close', () => {
        closed = true;
        clearInterval(timer);
      });
    });
    const e = await fetchError(make({ maxBytes: 64 * 1024 }).fetch({ url: srv.url('/chunked') }));
    expect(e.code).toBe('too-large');
    // the server hears of the close on a later turn of the event loop
    for (let i = 0; i < 200 && !closed; i++) await new Promise((r) => setTimeout(r, 10));
    expect(closed).toBe(true);
    expect(written).toBeLessThan(2 * 1024 * 1024);
  });

  it('stops a gzip bomb on the decompressed size', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(50 * 1024 * 1024, 0)); // ~50 KB on the wire
    expect(bomb.length).toBeLessThan(100_000);
    srv.set('/bomb', bomb, { headers: { 'content-encoding': 'gzip' } });
    const started = Date.now();
    const e = await fetchError(make({ maxBytes: 1024 * 1024 }).fetch({ url: srv.url('/bomb') }));
    expect(e.code).toBe('too-large');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('stops a brotli bomb too', async () => {
    const bomb = zlib.brotliCompressSync(Buffer.alloc(50 * 1024 * 1024, 0), {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 },
    });
    srv.set('/brbomb', bomb, { headers: { 'content-encoding': 'br' } });
    const started = Date.now();
    const e = await fetchError(make({ maxBytes: 1024 * 1024 }).fetch({ url: srv.url('/brbomb') }));
    expect(e.code).toBe('too-large');
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('redirects', () => {
  it('follows up to 5 redirects (relative and absolute) and reports the final URL', async () => {
    srv.set('/r/final', FEED);
    srv.redirect('/r/5', '/r/final', 301);
    srv.redirect('/r/4', srv.url('/r/5'), 302);
    srv.redirect('/r/3', '4', 303);
    srv.redirect('/r/2', '/r/3', 307);
    srv.redirect('/r/1', '/r/2', 308);
    const out = await make().fetch({ url: srv.url('/r/1') });
    expect(out).toMatchObject({ kind: 'ok', finalUrl: srv.url('/r/final') });
  });

  it('refuses the 6th redirect', async () => {
    srv.redirect('/r/0', '/r/1');
    const e = await fetchError(make().fetch({ url: srv.url('/r/0') }));
    expect(e.code).toBe('too-many-redirects');
    expect(e.message).toBe('the feed redirected more than 5 times');
    expect(srv.hits('/r/final')).toBe(1); // only from the previous test
  });

  it('refuses a redirect to a non-http scheme', async () => {
    srv.redirect('/r/ftp', 'ftp://example.test/feed');
    const e = await fetchError(make().fetch({ url: srv.url('/r/ftp') }));
    expect(e.code).toBe('bad-url');
  });

  it('keeps the conditional headers across a redirect', async () => {
    srv.set('/moved/new', FEED);
    srv.redirect('/moved/old', '/moved/new', 301);
    const f = make();
    const first = await f.fetch({ url: srv.url('/moved/old') });
    if (first.kind !== 'ok') throw new Error('expected ok');
    const second = await f.fetch({ url: srv.url('/moved/old'), etag: first.etag });
    expect(second).toMatchObject({ kind: 'not-modified', finalUrl: srv.url('/moved/new') });
  });
});

describe('address guard', () => {
  it('refuses loopback by default (literal IP)', async () => {
    srv.set('/guard', FEED);
    const f = make({ allowPrivateAddresses: false });
    const e = await fetchError(f.fetch({ url: srv.url('/guard') }));
    expect(e.code).toBe('blocked-address');
    expect(e.message).toBe('refused: 127.0.0.1 is a loopback address');
    expect(srv.hits('/guard')).toBe(0);
  });

  it('refuses a name that resolves to a private address', async () => {
    const f = make({ allowPrivateAddresses: false, lookup: fakeLookup({ 'feeds.example': '10.0.0.5' }) });
    const e = await fetchError(f.fetch({ url: 'http://feeds.example/rss' }));
    expect(e.code).toBe('blocked-address');
    expect(e.message).toBe('refused: feeds.example resolves to a private address (10.0.0.5)');
  });

  it('refuses the cloud metadata address and IPv6 loopback literals', async () => {
    const f = make({ allowPrivateAddresses: false });
    expect((await fetchError(f.fetch({ url: 'http://169.254.169.254/latest/meta-data/' }))).code).toBe('blocked-address');
    expect((await fetchError(f.fetch({ url: 'http://[::1]/' }))).code).toBe('blocked-address');
    expect((await fetchError(f.fetch({ url: 'http://[::ffff:127.0.0.1]/' }))).code).toBe('blocked-address');
  });

  it('allows a "public" host (test hook) and refuses its redirect to a private one', async () => {
    srv.set('/pub/feed', FEED);
    srv.redirect('/pub/to-literal', `http://127.0.0.2:${srv.port}/pub/feed`);
    srv.redirect('/pub/to-name', `http://internal.test:${srv.port}/pub/feed`);
    const lookup = fakeLookup({ 'feeds.test': '127.0.0.1', 'internal.test': '127.0.0.2' });
    const f = make({ allowPrivateAddresses: false, isBlocked: loopbackOnePublic, lookup });
    const ok = await f.fetch({ url: `http://feeds.test:${srv.port}/pub/feed` });
    expect(ok.kind).toBe('ok');

    const e1 = await fetchError(f.fetch({ url: `http://feeds.test:${srv.port}/pub/to-literal` }));
    expect(e1.code).toBe('blocked-address');
    expect(e1.message).toBe('refused: 127.0.0.2 is a loopback address');
    const e2 = await fetchError(f.fetch({ url: `http://feeds.test:${srv.port}/pub/to-name` }));
    expect(e2.code).toBe('blocked-address');
    expect(e2.message).toBe('refused: internal.test resolves to a loopback address (127.0.0.2)');
    expect(srv.hits('/pub/feed')).toBe(1);
  });

  it('re-checks at connect time, so a rebinding DNS answer cannot swap in a blocked address', async () => {
    srv.set('/rebind', FEED);
    let n = 0;
    // First answer (the pre-flight check) looks public; the next (at connect) is loopback.
    const lookup = fakeLookup({ 'rebind.test': () => (n++ === 0 ? '127.0.0.1' : '127.0.0.2') });
    const f = make({ allowPrivateAddresses: false, isBlocked: loopbackOnePublic, lookup });
    const e = await fetchError(f.fetch({ url: `http://rebind.test:${srv.port}/rebind` }));
    expect(e.code).toBe('blocked-address');
    expect(e.message).toContain('127.0.0.2');
    expect(n).toBe(2);
    expect(srv.hits('/rebind')).toBe(0);
  });

  it('allowPrivateAddresses lets a name resolve to loopback', async () => {
    srv.set('/private-ok', FEED);
    const out = await make().fetch({ url: `http://feeds.test:${srv.port}/private-ok` });
    expect(out.kind).toBe('ok');
  });
});

describe('bad input and network errors', () => {
  it('rejects non-URLs and non-http schemes', async () => {
    const f = make();
    expect((await fetchError(f.fetch({ url: 'not a url' }))).code).toBe('bad-url');
    const e = await fetchError(f.fetch({ url: 'file:///etc/passwd' }));
    expect(e.code).toBe('bad-url');
    expect(e.message).toBe('only http and https feeds are supported (got file)');
    expect((await fetchError(f.fetch({ url: 'ftp://example.test/x' }))).code).toBe('bad-url');
  });

  it('maps DNS failures to dns', async () => {
    const e = await fetchError(make({ allowPrivateAddresses: false }).fetch({ url: 'http://nowhere.test/feed' }));
    expect(e.code).toBe('dns');
    expect(e.message).toBe("couldn't find the host nowhere.test (DNS lookup failed)");
    const e2 = await fetchError(make().fetch({ url: 'http://nowhere.test/feed' }));
    expect(e2.code).toBe('dns');
  });

  it('maps a refused connection to network', async () => {
    const tmp = await startFeedServer();
    const url = tmp.url('/x');
    await tmp.close();
    const e = await fetchError(make().fetch({ url }));
    expect(e.code).toBe('network');
    expect(e.message).toMatch(/connection refused/);
  });
});

describe('HTTP status errors', () => {
  it('404 and 500 give plain messages', async () => {
    const f = make();
    const e404 = await fetchError(f.fetch({ url: srv.url('/missing') }));
    expect(e404).toMatchObject({ code: 'http-status', status: 404, url: srv.url('/missing') });
    expect(e404.message).toBe('the feed answered 404 Not Found — check the URL');
    srv.set('/boom', 'oops', { status: 500, contentType: 'text/plain' });
    const e500 = await fetchError(f.fetch({ url: srv.url('/boom') }));
    expect(e500).toMatchObject({ code: 'http-status', status: 500 });
    expect(e500.message).toBe('the feed answered 500 Internal Server Error — the site is having trouble, will retry later');
    expect(e500.retryAfterSeconds).toBeUndefined();
  });

  it('exposes Retry-After on 429 and 503', async () => {
    srv.set('/slow-down', 'later', { status: 429, headers: { 'retry-after': '120' } });
    srv.set('/maint', 'later', { status: 503, headers: { 'retry-after': new Date(Date.now() + 60_000).toUTCString() } });
    const f = make();
    const e429 = await fetchError(f.fetch({ url: srv.url('/slow-down') }));
    expect(e429).toMatchObject({ code: 'http-status', status: 429, retryAfterSeconds: 120 });
    const e503 = await fetchError(f.fetch({ url: srv.url('/maint') }));
    expect(e503.status).toBe(503);
    expect(e503.retryAfterSeconds).toBeGreaterThanOrEqual(58);
    expect(e503.retryAfterSeconds).toBeLessThanOrEqual(61);
  });

  it('a removed path turns into 404', async () => {
    srv.set('/gone-soon', FEED);
    const f = make();
    expect((await f.fetch({ url: srv.url('/gone-soon') })).kind).toBe('ok');
    srv.remove('/gone-soon');
    expect((await fetchError(f.fetch({ url: srv.url('/gone-soon') }))).status).toBe(404);
  });
});

describe('timeouts and cancellation', () => {
  it('a server that never answers → timeout, quickly', async () => {
    srv.handle('/hang', () => {
      /* never respond */
    });
    const started = Date.now();
    const e = await fetchError(make({ timeoutMs: 300 }).fetch({ url: srv.url('/hang') }));
    expect(e.code).toBe('timeout');
    expect(e.message).toBe('the feed took longer than 300 ms to answer');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a server that trickles its body → timeout on the total budget', async () => {
    srv.handle('/trickle', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/rss+xml' });
      const t = setInterval(() => res.write('<'), 50);
      res.on('close', () => clearInterval(t));
    });
    const started = Date.now();
    const e = await fetchError(make({ timeoutMs: 400 }).fetch({ url: srv.url('/trickle') }));
    expect(e.code).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a caller abort rejects with the abort reason, not a FetchError', async () => {
    srv.handle('/hang2', () => {});
    const ctl = new AbortController();
    const p = make().fetch({ url: srv.url('/hang2'), signal: ctl.signal });
    setTimeout(() => ctl.abort(new Error('shutting down')), 50);
    await expect(p).rejects.toThrow('shutting down');
  });
});

describe('max-age', () => {
  it('parses and caps Cache-Control max-age', async () => {
    srv.set('/ma-long', FEED, { headers: { 'cache-control': 'public, max-age=86400' } });
    srv.set('/ma-none', FEED);
    const f = make({ maxAgeCapSeconds: 1800 });
    expect(await f.fetch({ url: srv.url('/ma-long') })).toMatchObject({ maxAgeSeconds: 1800 });
    expect(await f.fetch({ url: srv.url('/ma-none') })).toMatchObject({ maxAgeSeconds: null });
  });

  it('parseMaxAge handles Age, no-cache, Expires and junk', () => {
    expect(parseMaxAge({ 'cache-control': 'max-age=600' }, 3600)).toBe(600);
    expect(parseMaxAge({ 'cache-control': 'max-age=600', age: '100' }, 3600)).toBe(500);
    expect(parseMaxAge({ 'cache-control': 'no-cache' }, 3600)).toBe(0);
    expect(parseMaxAge({ 'cache-control': 'private, MAX-AGE=90' }, 3600)).toBe(90);
    expect(parseMaxAge({ 'cache-control': 'max-age=abc' }, 3600)).toBeNull();
    expect(parseMaxAge({ 'cache-control': 'max-age=99999' }, 3600)).toBe(3600);
    expect(
      parseMaxAge({ expires: 'Mon, 01 Jan 2024 00:10:00 GMT', date: 'Mon, 01 Jan 2024 00:00:00 GMT' }, 3600),
    ).toBe(600);
    expect(parseMaxAge({ expires: '0' }, 3600)).toBe(0);
    expect(parseMaxAge({}, 3600)).toBeNull();
  });

  it('parseRetryAfter handles seconds, dates and junk', () => {
    expect(parseRetryAfter('30')).toBe(30);
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:01:00 GMT', Date.parse('Mon, 01 Jan 2024 00:00:00 GMT'))).toBe(60);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });

  it('bounds Retry-After and max-age at a day, both forms (issue 8, finding 12)', () => {
    const now = Date.parse('Mon, 01 Jan 2024 00:00:00 GMT');
    expect(parseRetryAfter('99999999999999999999', now)).toBe(86_400);
    expect(parseRetryAfter('Fri, 31 Dec 9999 23:59:59 GMT', now)).toBe(86_400);
    expect(parseRetryAfter('Sun, 31 Dec 2023 00:00:00 GMT', now)).toBe(0);
    expect(parseMaxAge({ 'cache-control': 'max-age=99999999999999999999' }, Infinity)).toBe(86_400);
    expect(parseMaxAge({ 'cache-control': `max-age=${'9'.repeat(400)}` }, Infinity)).toBe(86_400);
    expect(parseMaxAge({ expires: 'Fri, 31 Dec 9999 23:59:59 GMT', date: 'Mon, 01 Jan 2024 00:00:00 GMT' }, Infinity)).toBe(86_400);
  });
});

describe('concurrency caps', () => {
  function slowRoute(path: string, state: { current: number; max: number }, delayMs = 80): void {
    srv.handle(path, (_req, res) => {
      state.current++;
      state.max = Math.max(state.max, state.current);
      setTimeout(() => {
        state.current--;
        res.writeHead(200, { 'content-type': 'application/rss+xml', 'content-length': String(Buffer.byteLength(FEED)) });
        res.end(FEED);
      }, delayMs);
    });
  }

  it('never has more than maxPerHost requests or connections open to one host', async () => {
    const state = { current: 0, max: 0 };
    slowRoute('/slow', state);
    const before = srv.connections;
    const f = make({ maxPerHost: 2 });
    const results = await Promise.all(Array.from({ length: 10 }, () => f.fetch({ url: srv.url('/slow') })));
    expect(results.every((r) => r.kind === 'ok')).toBe(true);
    expect(state.max).toBe(2);
    expect(srv.connections - before).toBeLessThanOrEqual(2); // keep-alive: connections are reused
  });

  it('caps requests in flight across hosts with maxConcurrent', async () => {
    const state = { current: 0, max: 0 };
    slowRoute('/slow-global', state);
    const table: Record<string, string> = {};
    for (let i = 0; i < 8; i++) table[`h${i}.test`] = '127.0.0.1';
    const f = make({ maxConcurrent: 3, maxPerHost: 4, lookup: fakeLookup(table) });
    await Promise.all(
      Object.keys(table).map((h) => f.fetch({ url: `http://${h}:${srv.port}/slow-global` })),
    );
    expect(state.max).toBe(3);
  });
});
