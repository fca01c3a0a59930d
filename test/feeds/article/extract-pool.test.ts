// The article job runs in the parse worker: same result as in this thread, charset decoded from the page's own
// declaration, and the pool's per-job time limit applies.
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inThreadArticleExtractor, ParsePool } from '../../../src/feeds/parse/pool.js';

const LEAD = 'Der Bürgermeister eröffnete am Montag die neue Brücke über die Saale nach acht Monaten Bauzeit.';
const page = (extra = '') => `<!doctype html><html><head><meta charset="windows-1252"><meta property="og:image" content="https://img.example/b.jpg"></head>
<body><nav>Startseite Nachrichten Sport</nav><article><h1>Brücke eröffnet</h1><p>Von Anna Groß</p><p>${LEAD}</p>
<p>Die Arbeiten kosteten weniger als geplant, teilte die Stadt mit, und der Verkehr fließt wieder normal.</p>${extra}</article></body></html>`;

describe('the article job in the parse worker', () => {
  let pool: ParsePool;
  beforeAll(() => {
    pool = new ParsePool({ threads: 1 });
  });
  afterAll(() => pool.close());

  it('gives what the in-thread extractor gives, decoding a windows-1252 page by its <meta charset>', async () => {
    const body = iconv.encode(page(), 'windows-1252');
    const opts = { contentType: 'text/html', url: 'https://news.example/bruecke', maxChars: 400 };
    const [inPool, here] = await Promise.all([pool.article(body, opts), inThreadArticleExtractor(body, opts)]);
    expect(inPool).toEqual(here);
    expect(inPool.ok && inPool.text.startsWith(LEAD)).toBe(true);
    expect(inPool.ok && inPool.image).toBe('https://img.example/b.jpg');
  });

  it('a page that takes too long is cut off by the time limit, as a failure, not a rejection', async () => {
    // the feed limit stays generous: the article limit alone cuts the job off
    const slow = new ParsePool({ threads: 1, articleTimeLimitMs: 1 });
    try {
      const huge = Buffer.from(page('<div><p>Ein Satz mit ein paar Wörtern darin, damit es Text gibt.</p></div>'.repeat(40_000)));
      const out = await slow.article(huge, { contentType: 'text/html', url: 'https://news.example/x', maxChars: 400 });
      expect(out).toEqual({ ok: false, reason: 'the article page took too long to read' });
    } finally {
      await slow.close();
    }
  });
});
