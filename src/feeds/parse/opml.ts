/**
 * OPML import/export for feed lists.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { parseHttpUrl } from '../url/http-url.js';

export type OpmlParseResult =
  | { ok: true; title: string | null; feeds: Array<{ url: string; title: string | null }> }
  | { ok: false; reason: string };

/** Largest OPML document accepted, in characters. */
const MAX_OPML_CHARS = 5_000_000;
/** Deepest outline nesting walked. */
const MAX_DEPTH = 32;

type Node = Record<string, unknown>;

function attr(node: Node, name: string): string | null {
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(node)) {
    if (k.startsWith('@_') && k.slice(2).toLowerCase() === want && (typeof v === 'string' || typeof v === 'number')) {
      const s = String(v).trim();
      return s ? s : null;
    }
  }
  return null;
}

function children(node: Node, name: string): Node[] {
  const want = name.toLowerCase();
  const out: Node[] = [];
  for (const [k, v] of Object.entries(node)) {
    if (k.startsWith('@_') || k.toLowerCase() !== want) continue;
    const list = Array.isArray(v) ? v : [v];
    for (const item of list) if (item && typeof item === 'object') out.push(item as Node);
  }
  return out;
}

function textOf(v: unknown): string | null {
  if (typeof v === 'string' || typeof v === 'number') return String(v).replace(/\s+/g, ' ').trim() || null;
  if (v && typeof v === 'object' && '#text' in v) return textOf((v as Node)['#text']);
  return null;
}

function normaliseHttpUrl(raw: string): string | null {
  return parseHttpUrl(raw.trim())?.href ?? null;
}

/** Parse an OPML subscription list: every outline (at any depth) with an xmlUrl, http(s) only, duplicates dropped. */
export function parseOpml(text: string): OpmlParseResult {
  if (text.length > MAX_OPML_CHARS) return { ok: false, reason: 'the OPML file is too large' };
  const src = text.replace(/^\uFEFF/, '');
  if (!src.trim()) return { ok: false, reason: 'the OPML file is empty' };
  const valid = XMLValidator.validate(src);
  if (valid !== true) {
    return { ok: false, reason: `the OPML file isn't valid XML (line ${valid.err.line}: ${valid.err.msg})` };
  }
  let doc: Node;
  try {
    const parser = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '@_',
      parseAttributeValue: false,
      parseTagValue: false,
      trimValues: true,
      processEntities: true,
      htmlEntities: true,
      isArray: (name) => name.toLowerCase() === 'outline',
    });
    doc = parser.parse(src) as Node;
  } catch (e) {
    return { ok: false, reason: `the OPML file couldn't be read (${(e as Error).message.split('\n')[0]})` };
  }
  const opml = children(doc, 'opml')[0];
  if (!opml) return { ok: false, reason: "that file isn't OPML (no <opml> element)" };
  const head = children(opml, 'head')[0];
  const titleNode = head ? Object.entries(head).find(([k]) => k.toLowerCase() === 'title')?.[1] : undefined;
  const title = textOf(titleNode);
  const body = children(opml, 'body')[0];

  const feeds: Array<{ url: string; title: string | null }> = [];
  const seen = new Set<string>();
  const walk = (node: Node, depth: number): void => {
    if (depth > MAX_DEPTH) return;
    for (const outline of children(node, 'outline')) {
      const type = attr(outline, 'type')?.toLowerCase() ?? null;
      const raw = attr(outline, 'xmlUrl') ?? (type === 'rss' || type === 'atom' ? attr(outline, 'url') : null);
      if (raw) {
        const url = normaliseHttpUrl(raw);
        if (url && !seen.has(url)) {
          seen.add(url);
          const t = attr(outline, 'title') ?? attr(outline, 'text');
          feeds.push({ url, title: t ? t.replace(/\s+/g, ' ') : null });
        }
      }
      walk(outline, depth + 1);
    }
  };
  if (body) walk(body, 0);
  return { ok: true, title, feeds };
}

/** Escape for an XML attribute or text node; drops characters XML 1.0 can't carry. */
function esc(s: string): string {
  return s
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

/** A valid OPML 2.0 document listing `feeds`. */
export function buildOpml(
  title: string,
  feeds: Array<{ url: string; title: string | null; siteUrl?: string | null }>,
  now: Date = new Date(),
): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<opml version="2.0">',
    '  <head>',
    `    <title>${esc(title)}</title>`,
    `    <dateCreated>${now.toUTCString()}</dateCreated>`,
    '  </head>',
    '  <body>',
  ];
  for (const f of feeds) {
    const text = f.title?.trim() || f.url;
    let line = `    <outline type="rss" text="${esc(text)}"`;
    if (f.title?.trim()) line += ` title="${esc(f.title.trim())}"`;
    line += ` xmlUrl="${esc(f.url)}"`;
    if (f.siteUrl) line += ` htmlUrl="${esc(f.siteUrl)}"`;
    lines.push(line + '/>');
  }
  lines.push('  </body>', '</opml>');
  return lines.join('\n') + '\n';
}
