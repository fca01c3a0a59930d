// Plain text of a summary: what an item is matched and summarised on. Computed once, when the item is parsed (in the
// parse worker); read through summaryTextOf, which also covers items stored before the field existed.
import { Parser } from 'htmlparser2';
import type { FeedItem } from '../types.js';

const SKIP_CONTENT = new Set(['script', 'style', 'noscript', 'template', 'iframe', 'object', 'svg', 'figcaption', 'button', 'form']);
const BLOCK = new Set([
  'p', 'div', 'br', 'li', 'ul', 'ol', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'section', 'article', 'tr', 'td', 'th',
  'table', 'hr', 'pre', 'figure', 'header', 'footer', 'dd', 'dt',
]);

/** Visible text of an HTML fragment: tags dropped, entities decoded, whitespace collapsed, blocks separated. */
export function htmlToText(html: string): string {
  if (!html) return '';
  if (!/[<&]/.test(html)) return collapse(html.replace(/\s+/g, ' '));
  const parts: string[] = [];
  let skipping = 0;
  const parser = new Parser(
    {
      onopentag(name) {
        if (SKIP_CONTENT.has(name)) skipping++;
        else if (BLOCK.has(name)) parts.push('\n');
      },
      onclosetag(name) {
        if (SKIP_CONTENT.has(name)) skipping = Math.max(0, skipping - 1);
        else if (BLOCK.has(name)) parts.push('\n');
      },
      ontext(text) {
        // Source line breaks are plain white space in HTML; only block elements break lines.
        if (!skipping) parts.push(text.replace(/[\r\n\t]+/g, ' '));
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.write(html);
  parser.end();
  const text = parts.join('');
  // Some feeds double-encode (`&amp;lt;p&amp;gt;`): one more pass when markup survived the first.
  if (/<\/?[a-z][^>]*>/i.test(text) && text !== html) return htmlToText(text);
  return collapse(text);
}

function collapse(text: string): string {
  return text
    .replace(/[\u00a0\u2000-\u200b\u202f\u205f\u3000]/g, ' ')
    .split(/\n+/)
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .filter(Boolean)
    .join('\n');
}

/** The item's plain summary text: computed at parse time; recomputed for items stored before the field existed. */
export function summaryTextOf(item: Pick<FeedItem, 'summaryHtml' | 'summaryText'>): string {
  return item.summaryText ?? htmlToText(item.summaryHtml);
}
