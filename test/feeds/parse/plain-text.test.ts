// The plain summary text an item is matched and summarised on: computed once by the parser, stored with recent items,
// and recomputed only for items stored before the field existed.
import { describe, expect, it } from 'vitest';
import { blankFeedRecord } from '../../../src/feeds/feed-record.js';
import { parseFeed } from '../../../src/feeds/parse/feed.js';
import { htmlToText, summaryTextOf } from '../../../src/feeds/parse/plain-text.js';
import { recentItemsOf, recentItemsRecord } from '../../../src/feeds/poll/recent.js';
import type { FeedItem } from '../../../src/feeds/types.js';
import { openStore } from '../../../src/repositories.js';

describe('htmlToText', () => {
  it.each([
    ['<p>Hello <b>world</b></p><p>Again</p>', 'Hello world\nAgain'],
    ['Fish &amp; chips &#8211; &quot;cheap&quot;', 'Fish & chips – "cheap"'],
    ['<script>alert(1)</script><style>p{}</style>Visible', 'Visible'],
    ['&lt;p&gt;double &amp;amp; encoded&lt;/p&gt;', 'double & encoded'],
    ['  spaced\u00a0 out\n\n text ', 'spaced out text'],
    ['', ''],
    ['<img src="x.jpg"><br/>Caption-free', 'Caption-free'],
  ])('%j → %j', (html, text) => {
    expect(htmlToText(html)).toBe(text);
  });
});

describe('summary text at parse time', () => {
  it('RSS and JSON Feed items carry the visible text of their summary', async () => {
    const rss = `<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://example.com/</link>
      <item><title>One</title><link>https://example.com/1</link><description>&lt;p&gt;Fish &amp;amp; &lt;b&gt;chips&lt;/b&gt;&lt;/p&gt;&lt;script&gt;x()&lt;/script&gt;</description></item>
      </channel></rss>`;
    const xml = await parseFeed(new TextEncoder().encode(rss), { url: 'https://example.com/feed' });
    expect(xml.ok && xml.feed.items[0]!.summaryText).toBe('Fish & chips');

    const json = JSON.stringify({
      version: 'https://jsonfeed.org/version/1.1',
      title: 'J',
      items: [{ id: '1', url: 'https://example.com/1', title: 'One', content_html: '<p>Hello <i>there</i></p><p>Again</p>' }],
    });
    const parsed = await parseFeed(new TextEncoder().encode(json), { contentType: 'application/feed+json', url: 'https://example.com/feed.json' });
    expect(parsed.ok && parsed.feed.items[0]!.summaryText).toBe('Hello there\nAgain');
  });

  it('summaryTextOf uses the parsed text, and computes it for an item stored without one', () => {
    expect(summaryTextOf({ summaryHtml: '<p>ignored</p>', summaryText: 'parsed' })).toBe('parsed');
    expect(summaryTextOf({ summaryHtml: '<p>Old <b>record</b></p>' })).toBe('Old record');
  });
});

describe('recent items and their summary text', () => {
  const item = (id: string, summaryHtml: string, summaryText?: string): FeedItem => ({
    id,
    link: `https://example.com/${id}`,
    title: id,
    summaryHtml,
    ...(summaryText === undefined ? {} : { summaryText }),
    author: null,
    categories: [],
    image: null,
    published: null,
  });

  it('keeps the text, bounded like the HTML', () => {
    const long = 'x'.repeat(10_000);
    const [kept] = recentItemsRecord([item('a', `<p>${long}</p>`, long)], new Date()).items;
    expect(kept!.summaryHtml.length).toBe(4000);
    expect(kept!.summaryText!.length).toBe(4000);
  });

  it('reads records stored before items carried summary text, computing it once on read', async () => {
    const store = await openStore('memory://');
    const url = 'https://example.com/feed';
    await store.feeds.set(url, blankFeedRecord(url, 'Example', null, new Date()));
    await store.recent.set(url, { items: [item('old', '<p>Stored <b>before</b></p>'), item('new', '<p>x</p>', 'parsed text')], fetchedAt: new Date().toISOString() });
    const entries = await recentItemsOf(store, [url]);
    expect(entries.map((e) => e.item.summaryText)).toEqual(['Stored before', 'parsed text']);
    await store.close();
  });
});
