// XML feeds: rss-parser (xml2js/sax) first; fast-xml-parser on what it rejects. Both hand their
// element trees to the same normaliser, so the output does not depend on which parser succeeded.
import Parser from 'rss-parser';
import { XMLParser } from 'fast-xml-parser';
import { absoluteHttpUrl } from '../url/canonical-link.js';
import { HTML_ENTITIES } from './entities.js';
import {
  type Getter,
  type NormContext,
  arr,
  attr,
  authorOf,
  first,
  normaliseXmlItem,
  siteLinkOf,
  textOf,
} from './normalise.js';
import { headlineText } from './plain-text.js';
import { MAX_ITEMS, collapse } from './util.js';
import type { FeedItem, ParsedFeed } from '../types.js';

// Every element normalise.ts reads from an item (its DATE_KEYS, HTML and image keys...): rss-parser exposes only these,
// while the fast-xml-parser fallback sees every element, so a key missing here is one the two back-ends disagree on.
const ITEM_KEYS = [
  '$', 'title', 'link', 'guid', 'id', 'description', 'summary', 'content', 'content:encoded',
  'pubDate', 'published', 'updated', 'issued', 'modified', 'created', 'dc:date', 'dcterms:created',
  'dcterms:issued', 'dcterms:modified', 'a10:updated', 'author', 'dc:creator', 'itunes:author',
  'category', 'dc:subject', 'enclosure', 'media:content', 'media:thumbnail', 'media:group',
  'itunes:image', 'atom:link', 'image', 'feedburner:origLink', 'media:title', 'dc:title',
  'media:description', 'lastBuildDate', 'itunes:summary', 'itunes:subtitle',
] as const;
const FEED_KEYS = ['$', 'title', 'dc:title', 'link', 'author', 'dc:creator'] as const;

// rss-parser turns Atom <published>/<updated> into `new Date(x).toISOString()`, which throws a
// RangeError on one bad date and loses the whole feed. Renaming the elements before it sees them
// keeps the raw values for our own tolerant date parser.
const RENAMED: Record<string, string> = { published: 'x-herald-published', updated: 'x-herald-updated' };
const sourceName = (k: string): string => RENAMED[k] ?? k;

type RawRecord = Record<string, unknown>;

const rssParser: Parser<RawRecord, RawRecord> = new Parser<RawRecord, RawRecord>({
  defaultRSS: 2,
  xml2js: {
    tagNameProcessors: [(name: string) => RENAMED[name] ?? name],
  },
  customFields: {
    feed: FEED_KEYS.map((k) => [sourceName(k), `raw:${k}`, { keepArray: true }]) as unknown as string[],
    item: ITEM_KEYS.map((k) => [sourceName(k), `raw:${k}`, { keepArray: true }]) as unknown as string[],
  },
});

const HTML_ELEMENTS = [
  'description', 'summary', 'content', 'content:encoded', 'media:description', 'atom:summary', 'atom:content',
  'itunes:summary', 'itunes:subtitle',
];

// Elements whose content may be inline XHTML (Atom type="xhtml", or HTML pasted unescaped into an RSS description).
// Atom's text constructs keep their meaning under any prefix (`<a:content type="xhtml">`); Media RSS's do not.
const MIXED_CONTENT = new Set([...HTML_ELEMENTS, 'title', 'media:title', 'dc:title']);
const TEXT_CONSTRUCT = /^(?!media:|itunes:|content:)[\w.-]+:(?:title|summary|content|subtitle|rights)$/;
const nestedOpen = new Map<string, RegExp>();
function nestedOpenOf(name: string): RegExp | null {
  if (!MIXED_CONTENT.has(name) && !TEXT_CONSTRUCT.test(name)) return null;
  let re = nestedOpen.get(name);
  if (!re) {
    re = new RegExp(`<${name.replace(/\./g, '\\.')}[\\s>/]`);
    if (nestedOpen.size < 100) nestedOpen.set(name, re);
  }
  return re;
}
const CDATA_SECTION = /<!\[CDATA\[([\s\S]*?)\]\]>/g;
const MIXED_TOKEN_RE = /<!\[CDATA\[|<!--|<([A-Za-z_][\w.:-]*)(\s[^<>]*)?>/g;

/**
 * Inline markup inside the text elements above, wrapped in one CDATA section: the XML readers then hand it over as a
 * string, in document order. (xml2js, rss-parser's reader, keeps an element's text apart from its child elements, so
 * "reported <a>x</a> as being <a>hacked</a>, and" would come back as "reported as being , and" + "x" + "hacked".)
 * Linear: CDATA sections and comments are skipped, each element's end is looked for once, and a name whose end is
 * missing is never looked for again.
 */
export function wrapMixedContent(text: string): string {
  const parts: string[] = [];
  let copied = 0;
  const noEndFrom = new Map<string, number>();
  const re = new RegExp(MIXED_TOKEN_RE.source, 'g');
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    if (m[0] === '<![CDATA[' || m[0] === '<!--') {
      const end = text.indexOf(m[0] === '<!--' ? '-->' : ']]>', re.lastIndex);
      if (end === -1) break;
      re.lastIndex = end + 3;
      continue;
    }
    const name = m[1]!;
    const nested = nestedOpenOf(name);
    if (!nested || (m[2] ?? '').endsWith('/')) continue;
    const innerStart = re.lastIndex;
    if (innerStart >= (noEndFrom.get(name) ?? Infinity)) continue;
    const close = `</${name}>`;
    const end = text.indexOf(close, innerStart);
    if (end === -1) {
      noEndFrom.set(name, innerStart);
      continue;
    }
    let inner = text.slice(innerStart, end);
    re.lastIndex = end + close.length;
    // Only child elements (outside CDATA: text in CDATA is an escaped-HTML summary, already a string), only when
    // unambiguous: no nested element of the same name.
    const hasCdata = inner.includes('<![CDATA[');
    if (!/<[A-Za-z]/.test(hasCdata ? inner.replace(CDATA_SECTION, '') : inner) || nested.test(inner)) continue;
    // Beside child elements a CDATA section is a text node: it becomes escaped text inside the markup.
    if (hasCdata) inner = inner.replace(CDATA_SECTION, (_m, t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
    if (inner.includes('<![CDATA[')) continue;
    parts.push(text.slice(copied, innerStart), '<![CDATA[', inner.replace(/]]>/g, ']]]]><![CDATA[>'), ']]>');
    copied = end;
  }
  return copied === 0 ? text : parts.join('') + text.slice(copied);
}

const fxp = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  attributesGroupName: '$',
  textNodeName: '_',
  isArray: (_name: string, _jpath: unknown, _isLeaf: boolean, isAttribute: boolean) => !isAttribute,
  processEntities: true,
  htmlEntities: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  commentPropName: false,
  stopNodes: HTML_ELEMENTS.map((n) => `*.${n}`),
});

export interface XmlParseOk {
  ok: true;
  feed: ParsedFeed;
}
export interface XmlParseFail {
  ok: false;
  kind: 'malformed' | 'not-a-feed';
  reason: string;
}

function oneLine(s: string, max = 160): string {
  const l = collapse(s.split('\n')[0] ?? s);
  return l.length > max ? l.slice(0, max - 1) + '…' : l;
}

const XML_PREDEFINED = new Set(['amp', 'lt', 'gt', 'quot', 'apos']);

const ENTITY_RE = /&(?:([A-Za-z_][\w.-]{0,40});|(#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};))?/y;

/**
 * The lenient pre-pass: escapes stray `&`, turns HTML named entities into numeric references and
 * undefined ones into literal text (all outside CDATA and comments), and drops control characters
 * XML forbids.
 *
 * One pass, linear in the input: an unclosed `<!--` or `<![CDATA[` is plain text (as XML parsers
 * would report it), and once a terminator is known to be absent from some point on, it is never
 * searched for again (a regex like `<!--[\s\S]*?-->` rescans to the end for every unclosed
 * opener: quadratic). `meter`, a test seam, is told how many characters each search examined.
 */
export function lenientXml(text: string, meter?: (chars: number) => void): string {
  const parts: string[] = [];
  let copied = 0; // text[copied, i) is still to be copied verbatim
  // Where a search for a terminator last came up empty: none exists at or after that point.
  let noCommentEndFrom = Infinity;
  let noCdataEndFrom = Infinity;
  const findEnd = (terminator: string, from: number, noneFrom: number): number => {
    if (from >= noneFrom) return -1;
    const at = text.indexOf(terminator, from);
    meter?.((at === -1 ? text.length : at + terminator.length) - from);
    return at;
  };
  const tokens = /<!--|<!\[CDATA\[|&/g;
  let i = 0;
  for (;;) {
    tokens.lastIndex = i;
    const token = tokens.exec(text);
    meter?.((token ? token.index + token[0].length : text.length) - i);
    if (!token) break;
    i = token.index;
    if (token[0] === '<!--') {
      const end = findEnd('-->', i + 4, noCommentEndFrom);
      if (end === -1) {
        noCommentEndFrom = Math.min(noCommentEndFrom, i + 4);
        i += 4;
      } else i = end + 3;
      continue;
    }
    if (token[0] === '<![CDATA[') {
      const end = findEnd(']]>', i + 9, noCdataEndFrom);
      if (end === -1) {
        noCdataEndFrom = Math.min(noCdataEndFrom, i + 9);
        i += 9;
      } else i = end + 3;
      continue;
    }
    ENTITY_RE.lastIndex = i;
    const [whole, name, numeric] = ENTITY_RE.exec(text)!; // always matches: the bare `&` is an alternative
    meter?.(whole.length);
    let replacement: string | null = null;
    if (!numeric) {
      if (name === undefined) replacement = '&amp;';
      else if (!XML_PREDEFINED.has(name)) {
        const code = HTML_ENTITIES.get(name);
        replacement = code !== undefined ? `&#${code};` : `&amp;${name};`;
      }
    }
    if (replacement !== null) {
      parts.push(text.slice(copied, i), replacement);
      copied = i + whole.length;
    }
    i += whole.length;
  }
  let out = copied === 0 ? text : parts.join('') + text.slice(copied);
  // eslint-disable-next-line no-control-regex
  out = out.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '');
  return out;
}

/** sax's "Unclosed root tag\nLine: 9\nColumn: 3\nChar: " → "Unclosed root tag (line 10)". */
function describeXmlError(saxMessage: string, fallbackReason: string): string {
  const first = oneLine(saxMessage);
  if (!first || /^Unable to parse XML|^Feed not recognized|Cannot read prop|undefined/i.test(first)) {
    return oneLine(fallbackReason) || 'unknown error';
  }
  const line = /Line:\s*(\d+)/.exec(saxMessage);
  return line ? `${first} (line ${Number(line[1]) + 1})` : first;
}

function feedTitle(v: unknown): string {
  return headlineText(textOf(first(v))).slice(0, 1000);
}

function buildFeed(
  feedGet: Getter,
  items: Getter[],
  url: string | null,
  rawHtml: boolean,
  rootBase: string | null,
): ParsedFeed {
  const title = feedTitle(feedGet('title')) || feedTitle(feedGet('dc:title'));
  const siteRaw = siteLinkOf(feedGet);
  const feed$ = feedGet('$');
  const xmlBase = (feed$ && typeof feed$ === 'object' && typeof (feed$ as RawRecord)['xml:base'] === 'string'
    ? ((feed$ as RawRecord)['xml:base'] as string)
    : null) ?? rootBase;
  const docBase = xmlBase ? (absoluteHttpUrl(xmlBase, url) ?? url) : url;
  const siteUrl = siteRaw ? absoluteHttpUrl(siteRaw, docBase) : null;
  const ctx: NormContext = {
    base: xmlBase ? docBase : (siteUrl ?? url),
    feedAuthor: authorOf(feedGet('author')) ?? authorOf(feedGet('dc:creator')),
    rawHtml,
  };
  const out: FeedItem[] = [];
  for (const get of items) {
    if (out.length >= MAX_ITEMS) break;
    const it = normaliseXmlItem(get, ctx);
    if (it) out.push(it);
  }
  return { title, siteUrl, items: out };
}

async function viaRssParser(text: string, url: string | null): Promise<ParsedFeed> {
  const parsed = (await rssParser.parseString(text)) as RawRecord & { items?: RawRecord[] };
  const feedGet: Getter = (k) => parsed[`raw:${k}`];
  const items = (parsed.items ?? []).map((it): Getter => (k) => it[`raw:${k}`]);
  return buildFeed(feedGet, items, url, false, null);
}

const ROOT_RE = /^(?:([\w.-]+):)?(rss|feed|RDF|rdf|channel)$/;

/** The fallback reader on its own (tests compare the two back-ends through it). */
export function viaFastXml(text: string, url: string | null): XmlParseOk | XmlParseFail {
  let tree: RawRecord;
  try {
    tree = fxp.parse(text) as RawRecord;
  } catch (e) {
    return { ok: false, kind: 'malformed', reason: oneLine(e instanceof Error ? e.message : String(e)) };
  }
  let rootKey: string | null = null;
  let firstKey: string | null = null;
  for (const k of Object.keys(tree)) {
    if (k.startsWith('?') || k.startsWith('!') || k === '_' || k === '$') continue;
    firstKey ??= k;
    if (ROOT_RE.test(k)) {
      rootKey = k;
      break;
    }
  }
  if (!rootKey) {
    return firstKey
      ? { ok: false, kind: 'not-a-feed', reason: `found <${firstKey}>, not <rss>, <feed> or <rdf:RDF>` }
      : { ok: false, kind: 'malformed', reason: 'no root element' };
  }
  const m = ROOT_RE.exec(rootKey)!;
  const prefix = m[1] && m[2] === 'feed' ? `${m[1]}:` : '';
  const rootVal = first(tree[rootKey]);
  // <rss></rss>: a feed with nothing in it yet
  const root: RawRecord = rootVal && typeof rootVal === 'object' ? (rootVal as RawRecord) : {};
  const getter = (node: RawRecord): Getter =>
    prefix ? (k) => node[k] ?? node[prefix + k] : (k) => node[k];
  const rootBase = typeof (root.$ as RawRecord | undefined)?.['xml:base'] === 'string'
    ? ((root.$ as RawRecord)['xml:base'] as string)
    : null;

  let feedNode: RawRecord;
  let itemNodes: unknown[];
  const kind = m[2];
  if (kind === 'feed') {
    feedNode = root;
    itemNodes = arr(root[prefix + 'entry']);
  } else if (kind === 'channel') {
    feedNode = root;
    itemNodes = arr(root.item);
  } else {
    const channel = first(root.channel);
    feedNode = channel && typeof channel === 'object' ? (channel as RawRecord) : root;
    itemNodes = [...arr(feedNode === root ? undefined : feedNode.item), ...arr(root.item)];
  }
  const items = itemNodes
    .filter((n): n is RawRecord => typeof n === 'object' && n !== null)
    .map(getter);
  return { ok: true, feed: buildFeed(getter(feedNode), items, url, true, rootBase) };
}

/** Cuts a truncated feed after its last complete item and closes the open container elements. */
function repairTruncated(text: string): string | null {
  const tail = text.slice(-512).trimEnd();
  const root = sniffRoot(text);
  if (!root || tail.endsWith(`</${root}>`)) return null;
  const item = text.lastIndexOf('</item>');
  const entry = text.lastIndexOf('</entry>');
  const end = Math.max(item === -1 ? -1 : item + 7, entry === -1 ? -1 : entry + 8);
  if (end <= 0) return null;
  const head = text.slice(0, end);
  const rootName = root.replace(/^[\w.-]+:/, '');
  const channelOpen = rootName === 'rss' && /<channel[\s>]/.test(head) && !/<\/channel>/.test(head);
  return head + (channelOpen ? '</channel>' : '') + `</${root}>`;
}

/** A quick look at the first element: HTML pages and other XML are turned away without a full parse. */
export function sniffRoot(text: string): string | null {
  const head = text.slice(0, 8192);
  const re = /<(?:\?[\s\S]*?\?>|!--[\s\S]*?-->|!DOCTYPE\s+([\w:.-]+)(?:[^>[]|\[[\s\S]*?\])*>|([A-Za-z_][\w:.-]*))/gi;
  let m: RegExpExecArray | null;
  let htmlDoctype = false;
  while ((m = re.exec(head))) {
    // A DOCTYPE names the root, but feeds sometimes carry an XHTML one: trust the element.
    if (m[1]) htmlDoctype ||= /^html$/i.test(m[1]);
    else if (m[2]) return htmlDoctype && !ROOT_RE.test(m[2]) ? 'html' : m[2];
  }
  return null;
}

/** Parses an XML feed document. Never throws. */
export async function parseXmlFeed(input: string, url: string | null): Promise<XmlParseOk | XmlParseFail> {
  let text = wrapMixedContent(input.charCodeAt(0) === 0xfeff ? input.slice(1) : input);
  // Junk before the prolog (whitespace, a PHP warning) is a fatal error for strict XML parsers.
  const lt = text.indexOf('<');
  if (lt > 0) {
    const decl = text.indexOf('<?xml');
    text = text.slice(decl > 0 && decl < 4096 ? decl : lt);
  }

  let firstError = '';
  let emptyResult: ParsedFeed | null = null;
  try {
    const feed = await viaRssParser(text, url);
    if (feed.items.length > 0) return { ok: true, feed };
    emptyResult = feed;
  } catch (e) {
    firstError = e instanceof Error ? e.message : String(e);
  }

  const lenient = lenientXml(text);
  if (!emptyResult && lenient !== text) {
    try {
      const feed = await viaRssParser(lenient, url);
      if (feed.items.length > 0) return { ok: true, feed };
      emptyResult = feed;
    } catch {
      /* fall through to the second parser */
    }
  }

  const second = viaFastXml(lenient, url);
  if (second.ok) {
    if (second.feed.items.length > 0 || !emptyResult) return second;
    return { ok: true, feed: emptyResult.title || !second.feed.title ? emptyResult : second.feed };
  }
  if (emptyResult) return { ok: true, feed: emptyResult };
  if (second.kind === 'malformed') {
    // Truncated documents (byte caps, dropped connections): keep every complete item.
    const repaired = repairTruncated(lenient);
    if (repaired) {
      const third = viaFastXml(repaired, url);
      if (third.ok && third.feed.items.length > 0) return third;
    }
  }
  if (second.kind === 'not-a-feed') return second;
  return { ok: false, kind: 'malformed', reason: describeXmlError(firstError, second.reason) };
}
