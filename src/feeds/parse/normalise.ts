// xml2js-shaped element tree (RSS 0.9x/1.0/2.0, Atom 0.3/1.0) → FeedItem.
// Both XML back-ends (rss-parser's xml2js and the fast-xml-parser fallback) present items in this
// shape: every child element is an array, attributes live in `$`, text in `_`.
import { absoluteHttpUrl, canonicalLink } from '../url/canonical-link.js';
import {
  MAX_CATEGORIES,
  MAX_ID_CHARS,
  MAX_TITLE_CHARS,
  capHtml,
  collapse,
  escapeHtml,
  firstImgSrc,
  isObj,
  parseFeedDate,
  rawContentToHtml,
  sha1,
} from './util.js';
import type { FeedItem } from '../types.js';
import { headlineText, plainTextAsHtml, richestSummary } from './plain-text.js';

/** Returns the child elements named `key` (an array), or for `$` the attribute object. */
export type Getter = (key: string) => unknown;

export interface NormContext {
  /** Base URL for relative links and images (feed xml:base / site link / feed URL). */
  base: string | null;
  /** Feed-level author (Atom: applies to entries without their own). */
  feedAuthor: string | null;
  /** true when html-bearing elements hold raw, un-parsed markup (fast-xml-parser stop nodes). */
  rawHtml: boolean;
}

type Obj = Record<string, unknown>;


export function arr(v: unknown): unknown[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

export function first(v: unknown): unknown {
  return Array.isArray(v) ? v[0] : v;
}

function attrsOf(v: unknown): Obj {
  const n = first(v);
  if (isObj(n) && isObj(n.$)) return n.$;
  return {};
}

export function attr(v: unknown, name: string): string | null {
  const a = attrsOf(v)[name];
  return typeof a === 'string' ? a.trim() || null : null;
}

/** Text of an element, never "[object Object]": `_`, or the concatenated text of its children. */
export function textOf(v: unknown, depth = 0): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.length ? textOf(v[0], depth) : '';
  if (!isObj(v) || depth > 8) return '';
  const t = v._ ?? v['#text'];
  if (typeof t === 'string' || typeof t === 'number') {
    let hasChild = false;
    for (const k in v) if (k !== '_' && k !== '$' && k !== '#text') { hasChild = true; break; }
    if (!hasChild) return String(t);
  }
  let out = typeof t === 'string' ? t : '';
  for (const k in v) {
    if (k === '_' || k === '$' || k === '#text') continue;
    for (const c of arr(v[k])) out += textOf(c, depth + 1);
  }
  return out;
}


function attrString(a: unknown): string {
  if (!isObj(a)) return '';
  let out = '';
  for (const k in a) {
    const val = a[k];
    if (typeof val === 'string' && /^[\w:.-]+$/.test(k)) out += ` ${k}="${escapeHtml(val).replace(/"/g, '&quot;')}"`;
  }
  return out;
}

const VOID = new Set(['br', 'img', 'hr', 'input', 'meta', 'link', 'source', 'wbr', 'area', 'col', 'embed']);

/**
 * Serialises an xml2js-shaped element's children back to markup. Order of mixed content is approximate (text first):
 * only for what xml.ts wrapMixedContent leaves as elements, such as a text element nested in one of its own name.
 */
function markupOf(v: unknown, depth = 0): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'object') return escapeHtml(String(v));
  if (Array.isArray(v)) return v.map((c) => markupOf(c, depth)).join('');
  if (depth > 40) return '';
  const o = v as Obj;
  let out = typeof o._ === 'string' ? escapeHtml(o._) : '';
  for (const k in o) {
    if (k === '$' || k === '_') continue;
    const name = k.replace(/^xhtml:|^html:/, '');
    for (const c of arr(o[k])) {
      const inner = markupOf(c, depth + 1);
      const at = attrString(isObj(c) ? c.$ : undefined);
      out += inner === '' && VOID.has(name.toLowerCase()) ? `<${name}${at}>` : `<${name}${at}>${inner}</${name}>`;
    }
  }
  return out;
}

/** HTML carried by a description / summary / content element. */
function htmlOf(v: unknown, rawHtml: boolean): string {
  const n = first(v);
  if (n === undefined || n === null) return '';
  const type = attr(n, 'type') ?? attr(n, 'mode');
  if (typeof n === 'string') return rawHtml ? rawContentToHtml(n, null) : n;
  if (!isObj(n)) return String(n);
  let hasChild = false;
  for (const k in n) if (k !== '_' && k !== '$') { hasChild = true; break; }
  if (!hasChild) {
    const t = typeof n._ === 'string' ? n._ : '';
    if (rawHtml) return rawContentToHtml(t, type);
    if (type && /base64/i.test(type)) return '';
    return t;
  }
  // Inline XHTML children (xml2js): serialise them, dropping the Atom xhtml <div> wrapper.
  const keys = Object.keys(n).filter((k) => k !== '$' && k !== '_');
  if (keys.length === 1 && /(?:^|:)div$/.test(keys[0] ?? '') && arr(n[keys[0]!]).length === 1) {
    return markupOf(first(n[keys[0]!]));
  }
  return markupOf(n);
}

// ---------------------------------------------------------------------------------------------

/**
 * Fields that are plain text by their specs, though feeds put HTML in them too: Media RSS descriptions (YouTube's
 * only text, inside media:group) and iTunes summaries and subtitles.
 */
function plainTextFields(get: Getter, rawHtml: boolean): string[] {
  const nodes = [
    first(get('media:description')),
    ...arr(get('media:group')).slice(0, 4).map((g) => (isObj(g) ? first(g['media:description']) : undefined)),
    ...arr(get('media:content')).slice(0, 4).map((m) => (isObj(m) ? first(m['media:description']) : undefined)),
    first(get('itunes:summary')),
    first(get('itunes:subtitle')),
  ];
  const out: string[] = [];
  for (const n of nodes) {
    if (n === undefined) continue;
    const html = htmlOf(n, rawHtml);
    const s = capHtml((attr(n, 'type') ?? '').toLowerCase() === 'html' ? html : plainTextAsHtml(html)).trim();
    if (s && !out.includes(s)) out.push(s);
  }
  return out;
}

/** A headline is plain text whatever its declared type (both XML readers hand over entity-decoded text). */
function cleanTitle(v: unknown): string {
  const n = first(v);
  if (n === undefined) return '';
  const t = headlineText(textOf(n));
  return t.length > MAX_TITLE_CHARS ? t.slice(0, MAX_TITLE_CHARS).trim() : t;
}

/** "jane@example.com (Jane Doe)" → "Jane Doe"; Atom <author><name> → name. */
export function authorOf(v: unknown): string | null {
  for (const n of arr(v)) {
    let s: string;
    if (isObj(n) && (n.name !== undefined || n.email !== undefined || n.uri !== undefined)) {
      s = collapse(textOf(n.name)) || collapse(textOf(n.email));
    } else {
      s = collapse(textOf(n));
    }
    if (!s) continue;
    const paren = /^\S+@\S+\s*\((.+)\)$/.exec(s);
    if (paren?.[1]) s = paren[1].trim();
    if (s) return s.length > 300 ? s.slice(0, 300) : s;
  }
  return null;
}

function categoriesOf(get: Getter): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (s: string): void => {
    const c = collapse(s);
    if (c && c.length <= 200 && !seen.has(c) && out.length < MAX_CATEGORIES) {
      seen.add(c);
      out.push(c);
    }
  };
  for (const n of arr(get('category'))) {
    const label = attr(n, 'label') ?? attr(n, 'term');
    const text = textOf(n);
    add(text.trim() ? text : (label ?? ''));
  }
  for (const n of arr(get('dc:subject'))) add(textOf(n));
  return out;
}

const IMAGE_EXT = /\.(?:jpe?g|png|gif|webp|avif|bmp|svg)(?:$|[?#])/i;

function imageFromMedia(nodes: unknown, ctx: NormContext): string | null {
  for (const n of arr(nodes)) {
    const url = attr(n, 'url') ?? attr(n, 'href');
    if (!url) continue;
    const medium = (attr(n, 'medium') ?? '').toLowerCase();
    const type = (attr(n, 'type') ?? '').toLowerCase();
    const isImage = medium === 'image' || type.startsWith('image/') || (!medium && !type && IMAGE_EXT.test(url));
    if (isImage) {
      const abs = absoluteHttpUrl(url, ctx.base);
      if (abs) return abs;
    }
    // <media:content medium="video"><media:thumbnail/></media:content>
    if (isObj(n)) {
      const inner = imageFromThumbs(n['media:thumbnail'], ctx);
      if (inner) return inner;
    }
  }
  return null;
}

function imageFromThumbs(nodes: unknown, ctx: NormContext): string | null {
  for (const n of arr(nodes)) {
    const url = attr(n, 'url') ?? (collapse(textOf(n)) || null);
    const abs = url ? absoluteHttpUrl(url, ctx.base) : null;
    if (abs) return abs;
  }
  return null;
}

function imageOf(get: Getter, ctx: NormContext, html: string[]): string | null {
  const thumb = imageFromThumbs(get('media:thumbnail'), ctx);
  if (thumb) return thumb;
  const content = imageFromMedia(get('media:content'), ctx);
  if (content) return content;
  for (const g of arr(get('media:group'))) {
    if (!isObj(g)) continue;
    const gi = imageFromThumbs(g['media:thumbnail'], ctx) ?? imageFromMedia(g['media:content'], ctx);
    if (gi) return gi;
  }
  for (const e of arr(get('enclosure'))) {
    const url = attr(e, 'url') ?? attr(e, 'href');
    const type = (attr(e, 'type') ?? '').toLowerCase();
    if (url && (type.startsWith('image/') || (!type && IMAGE_EXT.test(url)))) {
      const abs = absoluteHttpUrl(url, ctx.base);
      if (abs) return abs;
    }
  }
  for (const l of [...arr(get('link')), ...arr(get('atom:link'))]) {
    if ((attr(l, 'rel') ?? '') !== 'enclosure') continue;
    const url = attr(l, 'href');
    const type = (attr(l, 'type') ?? '').toLowerCase();
    if (url && (type.startsWith('image/') || (!type && IMAGE_EXT.test(url)))) {
      const abs = absoluteHttpUrl(url, ctx.base);
      if (abs) return abs;
    }
  }
  const itunes = attr(get('itunes:image'), 'href');
  if (itunes) {
    const abs = absoluteHttpUrl(itunes, ctx.base);
    if (abs) return abs;
  }
  const img = first(get('image'));
  if (img !== undefined) {
    const u = isObj(img) && img.url !== undefined ? textOf(img.url) : attr(img, 'href') ?? attr(img, 'url') ?? textOf(img);
    const abs = u ? absoluteHttpUrl(collapse(u), ctx.base) : null;
    if (abs) return abs;
  }
  for (const h of html) {
    const src = firstImgSrc(h);
    const abs = src ? absoluteHttpUrl(src, ctx.base) : null;
    if (abs) return abs;
  }
  return null;
}

/** Article link: feedburner:origLink, RSS <link>, Atom rel="alternate" (or no rel), permalink guid. */
function rawLinkOf(get: Getter): string | null {
  const orig = collapse(textOf(get('feedburner:origLink')));
  if (orig) return orig;
  let fallback: string | null = null;
  for (const l of [...arr(get('link')), ...arr(get('atom:link'))]) {
    const href = attr(l, 'href');
    if (href) {
      const rel = (attr(l, 'rel') ?? 'alternate').toLowerCase();
      if (rel === 'alternate') {
        const type = (attr(l, 'type') ?? '').toLowerCase();
        if (!type || type.includes('html')) return href;
        fallback ??= href;
      }
      continue;
    }
    const t = collapse(textOf(l));
    if (t && (attr(l, 'rel') ?? 'alternate') === 'alternate') return t;
  }
  if (fallback) return fallback;
  const guid = first(get('guid'));
  if (guid !== undefined && (attr(guid, 'isPermaLink') ?? 'true').toLowerCase() !== 'false') {
    const g = collapse(textOf(guid));
    if (/^https?:\/\//i.test(g)) return g;
  }
  return null;
}

export function siteLinkOf(get: Getter): string | null {
  // same rules as items, minus guid / origLink
  for (const l of arr(get('link'))) {
    const href = attr(l, 'href');
    if (href) {
      const rel = (attr(l, 'rel') ?? 'alternate').toLowerCase();
      if (rel === 'alternate') return href;
      continue;
    }
    const t = collapse(textOf(l));
    if (t) return t;
  }
  return null;
}

function idText(v: unknown): string {
  return collapse(textOf(first(v)));
}

const DATE_KEYS = ['pubDate', 'published', 'dc:date', 'issued', 'created', 'dcterms:created', 'dcterms:issued', 'updated', 'modified', 'dcterms:modified', 'a10:updated', 'lastBuildDate'];

/** One item/entry → FeedItem, or null when it carries nothing usable (no title, link or summary). */
export function normaliseXmlItem(get: Getter, ctx: NormContext): FeedItem | null {
  const own$ = get('$');
  let base = ctx.base;
  const xmlBase = isObj(own$) && typeof own$['xml:base'] === 'string' ? own$['xml:base'] : null;
  if (xmlBase) base = absoluteHttpUrl(xmlBase, base) ?? base;
  const c: NormContext = base === ctx.base ? ctx : { ...ctx, base };

  let title = cleanTitle(get('title'));
  if (!title) title = cleanTitle(get('dc:title')) || cleanTitle(get('media:title'));

  const rawLink = rawLinkOf(get);
  const link = canonicalLink(rawLink, c.base);

  const summaryNode = first(get('description')) ?? first(get('summary'));
  const contentNode = first(get('content:encoded')) ?? first(get('content'));
  const descriptionHtml = capHtml(htmlOf(summaryNode, c.rawHtml)).trim();
  const contentHtml = contentNode !== undefined ? capHtml(htmlOf(contentNode, c.rawHtml)).trim() : '';
  const chosen = richestSummary([descriptionHtml, contentHtml, ...plainTextFields(get, c.rawHtml)], title);
  const summaryHtml = chosen.html;

  let rawDate = '';
  let published: string | null = null;
  for (const k of DATE_KEYS) {
    const d = collapse(textOf(first(get(k))));
    if (!d) continue;
    rawDate ||= d;
    published = parseFeedDate(d);
    if (published) {
      rawDate = d;
      break;
    }
  }

  if (!title && !link && !summaryHtml) return null;

  const about = isObj(own$) && typeof own$['rdf:about'] === 'string' ? collapse(own$['rdf:about']) : '';
  let id = idText(get('guid')) || idText(get('id')) || about || link || '';
  if (!id) id = 'h:' + sha1(title + '\n' + rawDate + (title || rawDate ? '' : '\n' + summaryHtml.slice(0, 2000)));
  else if (id.length > MAX_ID_CHARS) id = 'h:' + sha1(id);

  const author =
    authorOf(get('author')) ?? authorOf(get('dc:creator')) ?? authorOf(get('itunes:author')) ?? ctx.feedAuthor;

  return {
    id,
    link,
    title,
    summaryHtml,
    summaryText: chosen.text,
    author,
    categories: categoriesOf(get),
    image: imageOf(get, c, [descriptionHtml, contentHtml].filter(Boolean)),
    published,
  };
}
