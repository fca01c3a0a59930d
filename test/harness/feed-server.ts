/**
 * A tiny local HTTP server for feed tests. Binds 127.0.0.1 on a random port; never touches the network.
 *
 *   const srv = await startFeedServer();
 *   srv.set('/rss', rssFeed({ title: 'T', items: [{ title: 'a', link: 'https://x.test/a' }] }));
 *   await fetcher.fetch({ url: srv.url('/rss') });
 *   await srv.close();
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FeedRouteOptions {
  contentType?: string;
  status?: number;
  headers?: Record<string, string>;
  /** Default true: strong ETag from the body hash, honours If-None-Match → 304. */
  etag?: boolean;
  /** When set, sent as Last-Modified and If-Modified-Since equal to it → 304. */
  lastModified?: string;
}

export interface FeedServerRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  status: number;
  /** when it arrived (ms since the epoch) */
  at: number;
}

export interface FeedServer {
  /** 'http://127.0.0.1:PORT' + path */
  url(path: string): string;
  /** Port the server listens on. */
  readonly port: number;
  set(path: string, body: string | Buffer, opts?: FeedRouteOptions): void;
  redirect(path: string, location: string, status?: number): void;
  /** Later requests → 404. */
  remove(path: string): void;
  /**
   * Custom handler for a path (for tests needing odd behaviour: trickling, never answering, …).
   * The handler owns the response; the status logged is whatever `res.statusCode` is when it finishes.
   */
  handle(path: string, handler: (req: IncomingMessage, res: ServerResponse) => void): void;
  requests: FeedServerRequest[];
  hits(path: string): number;
  /** Number of TCP connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

type Route =
  | { kind: 'body'; body: Buffer; opts: FeedRouteOptions; etag: string }
  | { kind: 'redirect'; location: string; status: number }
  | { kind: 'handler'; handler: (req: IncomingMessage, res: ServerResponse) => void };

function pathOf(rawUrl: string | undefined): string {
  return rawUrl ?? '/';
}

export async function startFeedServer(): Promise<FeedServer> {
  const routes = new Map<string, Route>();
  const requests: FeedServerRequest[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;

  const server = createServer((req, res) => {
    const path = pathOf(req.url);
    // Routes match on the full path including the query string first, then without it.
    const route = routes.get(path) ?? routes.get(path.split('?')[0] ?? path);
    const entry: FeedServerRequest = { path, headers: { ...req.headers }, status: 0, at: Date.now() };
    requests.push(entry);
    res.on('finish', () => {
      entry.status = res.statusCode;
    });
    res.on('close', () => {
      if (entry.status === 0) entry.status = res.statusCode;
    });

    if (!route) {
      entry.status = 404;
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    if (route.kind === 'handler') {
      route.handler(req, res);
      return;
    }
    if (route.kind === 'redirect') {
      entry.status = route.status;
      res.writeHead(route.status, { location: route.location, 'content-type': 'text/plain' });
      res.end('moved');
      return;
    }
    const { body, opts, etag } = route;
    const status = opts.status ?? 200;
    const headers: Record<string, string> = {
      'content-type': opts.contentType ?? 'application/rss+xml; charset=utf-8',
    };
    const useEtag = opts.etag !== false;
    if (useEtag) headers['etag'] = etag;
    if (opts.lastModified) headers['last-modified'] = opts.lastModified;
    Object.assign(headers, opts.headers ?? {});

    if (status === 200) {
      const inm = req.headers['if-none-match'];
      const ims = req.headers['if-modified-since'];
      const etagMatches =
        useEtag &&
        typeof inm === 'string' &&
        inm.split(',').some((t) => {
          const v = t.trim();
          return v === '*' || v === etag || v === `W/${etag}`;
        });
      const lmMatches = !inm && opts.lastModified !== undefined && typeof ims === 'string' && ims === opts.lastModified;
      if (etagMatches || lmMatches) {
        entry.status = 304;
        const h304: Record<string, string> = {};
        if (useEtag) h304['etag'] = etag;
        if (opts.lastModified) h304['last-modified'] = opts.lastModified;
        if (opts.headers?.['cache-control']) h304['cache-control'] = opts.headers['cache-control'];
        res.writeHead(304, h304);
        res.end();
        return;
      }
    }
    entry.status = status;
    if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-length' || k.toLowerCase() === 'transfer-encoding')) {
      headers['content-length'] = String(body.length);
    }
    res.writeHead(status, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  });

  server.on('connection', (socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    set(path, body, opts = {}) {
      const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      const etag = `"${createHash('sha1').update(buf).digest('hex').slice(0, 16)}"`;
      routes.set(path, { kind: 'body', body: buf, opts, etag });
    },
    redirect(path, location, status = 302) {
      routes.set(path, { kind: 'redirect', location, status });
    },
    remove(path) {
      routes.delete(path);
    },
    handle(path, handler) {
      routes.set(path, { kind: 'handler', handler });
    },
    requests,
    hits: (path: string) => requests.filter((r) => r.path === path).length,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}

function escapeXml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Build a small RSS 2.0 document. Strings are XML-escaped (descriptions too, so HTML in them arrives as text-encoded HTML, as in real feeds). */
export function rssFeed(channel: {
  title: string;
  link?: string;
  items: Array<{ title: string; link?: string; guid?: string; description?: string; pubDate?: string; image?: string }>;
}): string {
  const lines: string[] = [];
  lines.push('<?xml version="1.0" encoding="UTF-8"?>');
  lines.push('<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/">');
  lines.push('<channel>');
  lines.push(`<title>${escapeXml(channel.title)}</title>`);
  lines.push(`<link>${escapeXml(channel.link ?? 'https://example.test/')}</link>`);
  lines.push(`<description>${escapeXml(channel.title)}</description>`);
  for (const it of channel.items) {
    lines.push('<item>');
    lines.push(`<title>${escapeXml(it.title)}</title>`);
    if (it.link !== undefined) lines.push(`<link>${escapeXml(it.link)}</link>`);
    if (it.guid !== undefined) {
      const permalink = /^https?:\/\//i.test(it.guid) ? 'true' : 'false';
      lines.push(`<guid isPermaLink="${permalink}">${escapeXml(it.guid)}</guid>`);
    }
    if (it.description !== undefined) lines.push(`<description>${escapeXml(it.description)}</description>`);
    if (it.pubDate !== undefined) lines.push(`<pubDate>${escapeXml(it.pubDate)}</pubDate>`);
    if (it.image !== undefined) lines.push(`<media:thumbnail url="${escapeXml(it.image)}"/>`);
    lines.push('</item>');
  }
  lines.push('</channel>');
  lines.push('</rss>');
  return lines.join('\n') + '\n';
}
