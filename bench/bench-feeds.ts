// The generated news feeds the benches poll: FEEDS feeds of ITEMS items each, served over HTTP with ETags (304 when
// unchanged); between rounds a stable 30% of them gain an item.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export const FEEDS = 5_000;
export const ITEMS = 20;
export const CHANGED_SHARE = 0.3;

export function feedBody(feed: number, version: number): Buffer {
  const parts = [
    `<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/">\n<channel>\n<title>Bench Feed ${feed}</title>\n<link>https://site${feed}.bench.test/</link>\n<description>Generated feed number ${feed}</description>\n`,
  ];
  for (let k = 0; k < ITEMS; k++) {
    const n = version + ITEMS - 1 - k; // newest first
    const day = String((n % 28) + 1).padStart(2, '0');
    parts.push(`<item>
  <title>Story ${n} from feed ${feed}: talks resume in Geneva as markets steady</title>
  <link>https://site${feed}.bench.test/news/${n}?utm_source=rss&amp;utm_medium=feed</link>
  <guid isPermaLink="false">feed-${feed}-story-${n}</guid>
  <pubDate>Mon, ${day} Nov 2026 ${String(n % 24).padStart(2, '0')}:15:00 GMT</pubDate>
  <dc:creator>Reporter ${n % 17}</dc:creator>
  <category>World</category>
  <description><![CDATA[<p>Story ${n}: negotiators met again on Monday, officials said, and markets steadied after a volatile week. Analysts expect further talks, while ministers urged calm. ${'The statement gave no timetable. '.repeat(3)}</p>]]></description>
  <media:thumbnail url="https://img.bench.test/${feed}/${n}.jpg" width="144" height="81"/>
</item>
`);
  }
  parts.push('</channel>\n</rss>\n');
  return Buffer.from(parts.join(''), 'utf8');
}

/**
 * Serves the feeds at /feed/N.xml on each of `hosts` (loopback addresses; Linux answers on all of 127.0.0.0/8), in
 * a child process so the bot's CPU figures are its own. Tells the parent `{ ports, bytes }`; on `{ bump: round }`
 * gives 30% of the feeds a new item and answers `{ bumped }`.
 */
export async function serveFeeds(hosts: string[]): Promise<void> {
  const versions = new Int32Array(FEEDS);
  const cache = new Map<number, { version: number; body: Buffer; etag: string }>();
  const entry = (feed: number) => {
    const version = versions[feed]!;
    let e = cache.get(feed);
    if (!e || e.version !== version) {
      e = { version, body: feedBody(feed, version), etag: `"f${feed}-v${version}"` };
      cache.set(feed, e);
    }
    return e;
  };
  let latencyMs = 0;
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (latencyMs > 0) {
      setTimeout(() => answer(req, res), latencyMs);
      return;
    }
    answer(req, res);
  };
  const answer = (req: IncomingMessage, res: ServerResponse) => {
    const m = /^\/feed\/(\d+)\.xml$/.exec(req.url ?? '');
    const feed = m ? Number(m[1]) : -1;
    if (feed < 0 || feed >= FEEDS) {
      res.writeHead(404).end();
      return;
    }
    const e = entry(feed);
    if (req.headers['if-none-match'] === e.etag) {
      res.writeHead(304, { etag: e.etag }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8', etag: e.etag, 'content-length': e.body.length }).end(e.body);
  };
  const ports: number[] = [];
  for (const host of hosts) {
    const server = createServer(handler);
    server.keepAliveTimeout = 120_000;
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    const address = server.address();
    ports.push(typeof address === 'object' && address ? address.port : 0);
  }
  process.send!({ ports, bytes: entry(0).body.length });
  process.on('message', (msg: { bump?: number; latencyMs?: number }) => {
    if (msg.latencyMs !== undefined) {
      latencyMs = msg.latencyMs;
      process.send!({ latencyMs });
      return;
    }
    if (msg.bump === undefined) return;
    let bumped = 0;
    for (let i = 0; i < FEEDS; i++) {
      if (changedInRound(i, msg.bump)) {
        versions[i]!++;
        bumped++;
      }
    }
    process.send!({ bumped });
  });
  process.on('disconnect', () => process.exit(0));
}

/** Which feeds gain an item before a round: a stable 30%, a different slice each round. */
export function changedInRound(feed: number, round: number): boolean {
  return (feed * 7 + round * 3) % 10 < CHANGED_SHARE * 10;
}
