/**
 * Feed autodiscovery: when a user gives a web page instead of a feed, find the feeds it advertises with
 * `<link rel="alternate" type="application/rss+xml" href="…">` and friends.
 */
import { Parser } from 'htmlparser2';
import { parseHttpUrl } from '../url/http-url.js';

export interface DiscoveredFeed {
  url: string;
  title: string | null;
  type: 'rss' | 'atom' | 'json';
}

const FEED_TYPES: Record<string, DiscoveredFeed['type']> = {
  'application/rss+xml': 'rss',
  'application/x-rss+xml': 'rss',
  'application/rdf+xml': 'rss',
  'application/atom+xml': 'atom',
  'application/feed+json': 'json',
  'application/json': 'json',
};

/** Only the start of a huge page is searched; feed links live in <head>. */
const MAX_HTML_CHARS = 2_000_000;

function resolveHttp(href: string, base: string): string | null {
  const u = parseHttpUrl(href.trim(), base);
  if (!u) return null;
  u.hash = '';
  return u.href;
}

/** Feed links advertised by an HTML page, in document order, relative hrefs resolved, duplicates dropped. */
export function discoverFeedLinks(html: string, pageUrl: string): DiscoveredFeed[] {
  const found: DiscoveredFeed[] = [];
  const seen = new Set<string>();
  let base = pageUrl;
  let baseSet = false;

  const parser = new Parser(
    {
      onopentag(name, attribs) {
        if (name === 'base' && !baseSet && attribs['href']) {
          const b = resolveHttp(attribs['href'], pageUrl);
          if (b) {
            base = b;
            baseSet = true;
          }
          return;
        }
        if (name !== 'link') return;
        const rel = (attribs['rel'] ?? '').toLowerCase().split(/\s+/);
        if (!rel.includes('alternate')) return;
        const mime = (attribs['type'] ?? '').split(';')[0]!.trim().toLowerCase();
        const type = FEED_TYPES[mime];
        if (!type) return;
        const href = attribs['href'];
        if (!href || !href.trim()) return;
        const url = resolveHttp(href, base);
        if (!url) return;
        // WordPress advertises its REST API as rel=alternate application/json — not a feed.
        if (mime === 'application/json' && /\/wp-json\/|[?&]rest_route=/i.test(url)) return;
        if (seen.has(url)) return;
        seen.add(url);
        const title = attribs['title']?.replace(/\s+/g, ' ').trim();
        found.push({ url, title: title ? title : null, type });
      },
    },
    { lowerCaseTags: true, lowerCaseAttributeNames: true, decodeEntities: true },
  );
  parser.write(html.length > MAX_HTML_CHARS ? html.slice(0, MAX_HTML_CHARS) : html);
  parser.end();
  return found;
}
