// JSON Feed 1.0 / 1.1 (https://jsonfeed.org/version/1.1) → ParsedFeed.
import { absoluteHttpUrl, canonicalLink } from '../url/canonical-link.js';
import { MAX_CATEGORIES, MAX_ID_CHARS, MAX_ITEMS, MAX_TITLE_CHARS, capHtml, collapse, firstImgSrc, isObj, parseFeedDate, sha1 } from './util.js';
import type { FeedItem, ParsedFeed } from '../types.js';
import { headlineText, plainTextAsHtml, richestSummary } from './plain-text.js';

type J = Record<string, unknown>;

function str(v: unknown): string {
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return '';
}

function authorName(item: J, feedAuthor: string | null): string | null {
  const authors = Array.isArray(item.authors) ? item.authors : isObj(item.author) ? [item.author] : [];
  for (const a of authors) {
    if (isObj(a)) {
      const n = collapse(str(a.name));
      if (n) return n.slice(0, 300);
    }
  }
  return feedAuthor;
}

export function isJsonFeed(doc: unknown): doc is J {
  if (!isObj(doc)) return false;
  const v = str(doc.version);
  if (/jsonfeed\.org\/version\//i.test(v)) return true;
  // bare "1.0"/"1.1" or no version: accept when it has the JSON Feed shape
  return Array.isArray(doc.items) && (typeof doc.title === 'string' || /^1(?:\.\d)?$/.test(v));
}

export function normaliseJsonFeed(doc: J, url: string | null): ParsedFeed {
  const siteUrl = absoluteHttpUrl(str(doc.home_page_url), url);
  const base = siteUrl ?? absoluteHttpUrl(str(doc.feed_url), url) ?? url;
  const feedAuthor = authorName(doc, null);
  const items: FeedItem[] = [];
  for (const raw of Array.isArray(doc.items) ? doc.items : []) {
    if (items.length >= MAX_ITEMS) break;
    if (!isObj(raw)) continue;
    let title = headlineText(str(raw.title));
    if (title.length > MAX_TITLE_CHARS) title = title.slice(0, MAX_TITLE_CHARS).trim();
    const link = canonicalLink(str(raw.url), base) ?? canonicalLink(str(raw.external_url), base);
    const contentHtml = str(raw.content_html);
    const contentText = str(raw.content_text);
    // summary and content_text are plain text by the spec; the richest clean text of the three wins
    const chosen = richestSummary(
      [plainTextAsHtml(str(raw.summary)), capHtml(contentHtml), plainTextAsHtml(contentText)].map((h) => capHtml(h).trim()),
      title,
    );
    const summaryHtml = chosen.html;
    if (!title && !link && !summaryHtml) continue;
    const rawDate = str(raw.date_published) || str(raw.date_modified);
    const published = parseFeedDate(str(raw.date_published)) ?? parseFeedDate(str(raw.date_modified));

    let image: string | null = absoluteHttpUrl(str(raw.image), base) ?? absoluteHttpUrl(str(raw.banner_image), base);
    if (!image && Array.isArray(raw.attachments)) {
      for (const a of raw.attachments) {
        if (isObj(a) && str(a.mime_type).toLowerCase().startsWith('image/')) {
          image = absoluteHttpUrl(str(a.url), base);
          if (image) break;
        }
      }
    }
    if (!image && contentHtml) {
      const src = firstImgSrc(contentHtml);
      image = src ? absoluteHttpUrl(src, base) : null;
    }

    const categories: string[] = [];
    if (Array.isArray(raw.tags)) {
      for (const t of raw.tags) {
        const c = collapse(str(t));
        if (c && !categories.includes(c) && categories.length < MAX_CATEGORIES) categories.push(c);
      }
    }

    let id = collapse(str(raw.id)) || link || 'h:' + sha1(title + '\n' + rawDate);
    if (id.length > MAX_ID_CHARS) id = 'h:' + sha1(id);
    items.push({ id, link, title, summaryHtml, summaryText: chosen.text, author: authorName(raw, feedAuthor), categories, image, published });
  }
  return { title: collapse(str(doc.title)).slice(0, 1000), siteUrl, items };
}
