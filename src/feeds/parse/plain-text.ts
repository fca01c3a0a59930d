// Plain text of a summary: what an item is matched and summarised on. Computed once, when the item is parsed (in the
// parse worker); read through summaryTextOf, which also covers items stored before the field existed.
//
// Reading order is the document's: inline elements (links, code, emphasis) stay where they are; every block element,
// <br> and heading ends a line. Lines are kept as "\n" in the text; summarize (src/alerts/summary.ts) turns a line
// end into a sentence break where the block had no stop of its own.
import { Parser } from 'htmlparser2';
import type { FeedItem } from '../types.js';
import { stripBoilerplate } from './boilerplate.js';
import { decodeEntities } from './util.js';

const SKIP_CONTENT = new Set(['script', 'style', 'noscript', 'template', 'iframe', 'object', 'svg', 'math', 'figcaption', 'button', 'form', 'select', 'textarea', 'head', 'title']);
const BLOCK = new Set([
  'p', 'div', 'br', 'li', 'ul', 'ol', 'dl', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'section', 'article', 'aside',
  'nav', 'main', 'tr', 'td', 'th', 'table', 'caption', 'thead', 'tbody', 'tfoot', 'hr', 'pre', 'figure', 'header', 'footer',
  'dd', 'dt', 'address', 'details', 'summary', 'fieldset', 'legend', 'center', 'body', 'html', 'img', 'video', 'audio',
]);
/** HTML elements whose presence, balanced, marks text as markup rather than prose that mentions a tag. */
const KNOWN = new Set([
  ...BLOCK, 'a', 'abbr', 'b', 'big', 'cite', 'code', 'em', 'font', 'i', 'kbd', 'mark', 'q', 's', 'small', 'span', 'strike',
  'strong', 'sub', 'sup', 'time', 'tt', 'u', 'var', 'wbr', 'del', 'ins', 'iframe', 'script', 'style', 'figcaption',
]);
const TAG_WITH_ATTRIBUTES = /<(?:a|img|span|div|p|font|abbr)\s+[a-z-]+\s*=\s*["']/i;
const VOID = new Set(['br', 'hr', 'img', 'wbr']);
const SUPERSCRIPT: Record<string, string> = { 0: '⁰', 1: '¹', 2: '²', 3: '³', 4: '⁴', 5: '⁵', 6: '⁶', 7: '⁷', 8: '⁸', 9: '⁹' };

/** Element name without an XML namespace prefix (`xhtml:p` → `p`). */
function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon === -1 ? name : name.slice(colon + 1);
}

/**
 * true when the string holds real HTML: a known void element (`<br>`, `<img …>`) or a known element opened and closed
 * (`<div>…</div>`). "a < b" and "Why <div> soup is bad" are prose, not markup.
 */
export function hasMarkup(s: string): boolean {
  if (s.indexOf('<') === -1) return false;
  const open = new Map<string, number>();
  const re = /<(\/?)([a-zA-Z][a-zA-Z0-9]*)(?:\s[^<>]*)?\/?>/g;
  let m: RegExpExecArray | null;
  let n = 0;
  while ((m = re.exec(s)) && n++ < 10_000) {
    const name = m[2]!.toLowerCase();
    if (!KNOWN.has(name)) continue;
    if (VOID.has(name)) return true;
    if (m[1]) {
      if ((open.get(name) ?? 0) > 0) return true;
    } else open.set(name, (open.get(name) ?? 0) + 1);
  }
  return false;
}

/** Lines of visible text: one pass of htmlparser2, which decodes every entity once. */
function visibleText(html: string, blockBreak: string): { text: string; elements: number } {
  const parts: string[] = [];
  let skipping = 0;
  let elements = 0;
  let supDigits: string[] | null = null;
  const parser = new Parser(
    {
      onopentag(raw) {
        elements++;
        const name = localName(raw);
        if (SKIP_CONTENT.has(name)) skipping++;
        else if (BLOCK.has(name)) parts.push(blockBreak);
        else if (name === 'sup' && !skipping) supDigits = [];
      },
      onclosetag(raw, implied) {
        const name = localName(raw);
        if (SKIP_CONTENT.has(name)) skipping = Math.max(0, skipping - 1);
        else if (BLOCK.has(name)) {
          if (!implied || name !== 'br') parts.push(blockBreak);
        } else if (name === 'sup' && supDigits) {
          const digits = supDigits.join('');
          // "1930ft<sup>2</sup>" reads as "1930ft²"; other superscripts stay as text.
          parts.push(/^\d{1,4}$/.test(digits) ? digits.replace(/\d/g, (d) => SUPERSCRIPT[d]!) : digits);
          supDigits = null;
        }
      },
      ontext(text) {
        if (skipping) return;
        // Source line breaks are plain white space in HTML; only block elements break lines.
        const t = text.replace(/[\r\n\t]+/g, ' ');
        if (supDigits) supDigits.push(t);
        else parts.push(t);
      },
    },
    { decodeEntities: true, lowerCaseTags: true, recognizeSelfClosing: true },
  );
  parser.write(html);
  parser.end();
  return { text: parts.join(''), elements };
}

/** Visible text of an HTML fragment: tags dropped, entities decoded once, whitespace collapsed, one line per block. */
export function htmlToText(html: string): string {
  if (!html) return '';
  if (!/[<&]/.test(html)) return collapseLines(html.replace(/\s+/g, ' '));
  const first = visibleText(html, '\n');
  // Double-encoded feeds (`&amp;lt;p&amp;gt;`) arrive as HTML whose only content is escaped HTML: one more pass, but
  // only then. Text that has real markup and mentions "&lt;div&gt;" keeps the mention.
  if (first.elements === 0 && hasMarkup(first.text)) return collapseLines(visibleText(first.text, '\n').text);
  return collapseLines(first.text);
}

function collapseLines(text: string): string {
  return text
    .replace(/[\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff]/g, ' ')
    .split(/\n+/)
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .filter(Boolean)
    .join('\n');
}

/**
 * A headline as plain text, whatever the feed declared: markup is dropped (`<div>Trump…</div>`, `1930ft<sup>2</sup>`)
 * and entities left over from HTML escaping are decoded (`37 &#8211; Spectre`). Prose that mentions a tag ("Why <div>
 * soup is bad") or compares ("a < b") is left alone: only balanced known elements and void ones count as markup.
 */
export function headlineText(raw: string): string {
  if (!raw) return '';
  let t: string;
  if (hasMarkup(raw)) t = visibleText(raw, ' ').text;
  else if (raw.indexOf('&') !== -1) {
    t = decodeEntities(raw);
    // Escaped twice: what remains is prose about tags ("test <b>bold</b> in title" stays), unless it is unmistakably
    // markup, an element with attributes (`<a href="…">`), which no headline means literally.
    if (TAG_WITH_ATTRIBUTES.test(t)) t = visibleText(t, ' ').text;
  } else t = raw;
  return t.replace(/[\s\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff]+/g, ' ').trim();
}

/** The plain text a summary field carries, without feed boilerplate: what matching and the alert summary use. */
export function cleanText(html: string): string {
  return stripBoilerplate(htmlToText(html));
}

/** The item's plain summary text: computed at parse time; recomputed for items stored before the field existed. */
export function summaryTextOf(item: Pick<FeedItem, 'summaryHtml' | 'summaryText'>): string {
  return item.summaryText ?? cleanText(item.summaryHtml);
}

/** A plain-text field (media:description, itunes:summary, JSON Feed content_text) as HTML; its line breaks kept. */
export function plainTextAsHtml(text: string): string {
  if (hasMarkup(text)) return text; // declared plain, but feeds put HTML there too
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r?\n/g, '<br>');
}

export interface SummaryChoice {
  html: string;
  text: string;
}

/** At least one sentence of its own: more than a label, a headline repeated or a tracking pixel. */
function substantial(text: string, title: string): boolean {
  const own = title && text.toLowerCase().startsWith(title.toLowerCase()) ? text.slice(title.length) : text;
  if (own.length >= 150) return true;
  return /[.!?。！？…]/.test(own) && (own.trim().split(/\s+/).length >= 5 || own.length >= 20);
}

/**
 * The richest clean text among an item's summary fields, given in the feed's order of preference (description or
 * summary, then full content, then media and iTunes descriptions): the first that holds at least a sentence of its
 * own, else the longest. A description that is only a tracking pixel, a "Read more" link or the headline again loses
 * to content that has the story.
 */
export function richestSummary(htmlCandidates: readonly string[], title: string): SummaryChoice {
  let best: SummaryChoice = { html: '', text: '' };
  for (const html of htmlCandidates) {
    if (!html) continue;
    const text = cleanText(html);
    if (substantial(text, title)) return { html, text };
    if (text.length > best.text.length || !best.html) best = { html, text };
  }
  return best;
}
