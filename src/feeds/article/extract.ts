// An article page → its lead text and its share image. Pure (HTML string + page URL in, data out) and CPU-heavy:
// it runs inside a parse worker (src/feeds/parse/jobs.ts), never on the main thread.
import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import { isHttpUrl } from '../url/http-url.js';
import { leadText, type ArticleBlock } from './furniture.js';

export interface ArticleExtract {
  /** The story's lead sentences (page furniture skipped), at most about `maxChars`; '' when the page has no story. */
  text: string;
  /** og:image / twitter:image, absolute http(s), or null. */
  image: string | null;
}

export interface ExtractOptions {
  /** How much lead text to keep (the alert summary's length). */
  maxChars: number;
  /** Readability gives up on pages with more elements than this (bounds the work on hostile pages). */
  maxElements?: number;
}

const DEFAULT_MAX_ELEMENTS = 60_000;
const MAX_IMAGE_URL = 2048;

/** Text inside these is never the story. */
const SKIPPED = new Set(['script', 'style', 'noscript', 'template', 'svg', 'math', 'iframe', 'object', 'button', 'select', 'textarea', 'form', 'nav', 'aside', 'header', 'footer', 'figure', 'figcaption', 'picture', 'video', 'audio', 'canvas']);
const BLOCKS = new Set([
  'p', 'div', 'section', 'article', 'main', 'blockquote', 'pre', 'ul', 'ol', 'li', 'dl', 'dt', 'dd', 'table', 'thead', 'tbody', 'tr', 'td', 'th', 'caption',
  'br', 'hr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'address', 'details', 'summary',
]);
const HEADINGS = new Set(['h1', 'h2', 'h3', 'h4', 'h5', 'h6']);
/** Class or id words of furniture Readability keeps: captions, credits, bylines, dates, share bars. */
const FURNITURE_CLASS = /(?:^|[\s_-])(?:caption|credits?|byline|author|dateline|timestamp|date|time|pub time|share|sharing|social|related|newsletter|promo|breadcrumbs?|kicker|meta|tools|toolbar|ad|advert|advertisement|sponsor)(?:$|[\s_-])/i;

/** class and id words, camelCase split ("pubTime" → "pub Time"). */
function classHint(node: DomNode): string {
  return `${node.getAttribute?.('class') ?? ''} ${node.getAttribute?.('id') ?? ''}`.slice(0, 500).replace(/(\p{Ll})(\p{Lu})/gu, '$1 $2');
}

const INLINE_FURNITURE_CLASS = /(?:^|[\s_-])(?:caption|credits?|attribution|copyright|byline|timestamp|pub time|visually hidden|sr only)(?:$|[\s_-])/i;

interface DomNode {
  nodeType: number;
  nodeName: string;
  textContent: string | null;
  childNodes: ArrayLike<DomNode>;
  getAttribute?(name: string): string | null;
}

/** The article's blocks in reading order: inline text stays in place, block elements and <br> end a block. */
export function articleBlocks(root: DomNode, limit = 400): ArticleBlock[] {
  const blocks: ArticleBlock[] = [];
  let current = '';
  const flush = (heading = false): void => {
    const text = current.replace(/\s+/g, ' ').trim();
    if (text && blocks.length < limit) blocks.push(heading ? { text, heading } : { text });
    current = '';
  };
  // explicit stack, bounded by the node count: deeply nested hostile markup cannot overflow the call stack
  type Step = { node: DomNode; exit?: false } | { node: DomNode; exit: true };
  const stack: Step[] = [{ node: root }];
  for (let visited = 0; stack.length && visited < 200_000 && blocks.length < limit; visited++) {
    const step = stack.pop()!;
    const name = step.node.nodeName.toLowerCase();
    if (step.exit) {
      flush(HEADINGS.has(name));
      continue;
    }
    const node = step.node;
    if (node.nodeType === 3) {
      current += node.textContent ?? '';
      continue;
    }
    if (node.nodeType !== 1 && node.nodeType !== 9 && node.nodeType !== 11) continue;
    if (SKIPPED.has(name)) continue;
    if (node.getAttribute?.('hidden') != null || node.getAttribute?.('aria-hidden') === 'true') continue;
    // inline elements are judged by a narrower list: a link classed "meta-org" inside a sentence is a word of it
    if (!BLOCKS.has(name) && INLINE_FURNITURE_CLASS.test(classHint(node))) continue;
    // a block ends the text before it and, on exit, its own; an inline element's text joins the block it is in
    if (BLOCKS.has(name)) {
      if (FURNITURE_CLASS.test(classHint(node))) continue;
      flush();
      stack.push({ node, exit: true });
    }
    const children = node.childNodes;
    for (let i = children.length - 1; i >= 0; i--) stack.push({ node: children[i]! });
  }
  flush();
  return blocks;
}

/** The page's share image (og:image, then twitter:image), made absolute; http(s) only. */
export function shareImage(document: { querySelectorAll(selector: string): ArrayLike<DomNode> }, pageUrl: string): string | null {
  const metas = document.querySelectorAll('meta');
  const found = new Map<string, string>();
  for (let i = 0; i < metas.length && i < 500; i++) {
    const meta = metas[i]!;
    const key = (meta.getAttribute?.('property') ?? meta.getAttribute?.('name') ?? '').trim().toLowerCase();
    const content = meta.getAttribute?.('content')?.trim();
    if (content && !found.has(key)) found.set(key, content);
  }
  for (const key of ['og:image:secure_url', 'og:image', 'og:image:url', 'twitter:image', 'twitter:image:src']) {
    const value = found.get(key);
    if (!value) continue;
    try {
      const url = new URL(value, pageUrl);
      if (isHttpUrl(url) && url.href.length <= MAX_IMAGE_URL) return url.href;
    } catch {
      // not a URL: try the next one
    }
  }
  return null;
}

/** An article page's lead text and share image. Never throws: a page Readability can't read yields ''. */
export function extractArticle(html: string, pageUrl: string, options: ExtractOptions): ArticleExtract {
  const { document } = parseHTML(html);
  const image = shareImage(document as unknown as { querySelectorAll(selector: string): ArrayLike<DomNode> }, pageUrl);
  let text = '';
  try {
    const article = new Readability<DomNode>(document as unknown as ConstructorParameters<typeof Readability>[0], {
      maxElemsToParse: options.maxElements ?? DEFAULT_MAX_ELEMENTS,
      keepClasses: true,
      serializer: (node) => node as unknown as DomNode,
    }).parse();
    if (article?.content) text = leadText(articleBlocks(article.content), options.maxChars);
  } catch {
    // too many elements, or markup Readability trips on: no lead text, the share image may still help
  }
  return { text, image };
}
