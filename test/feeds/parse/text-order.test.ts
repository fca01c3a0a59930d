// The text an alert is built from, for every feed shape: reading order kept through both XML back-ends, headlines as
// plain text, the richest summary field chosen, entities decoded exactly once.
import { describe, expect, it } from 'vitest';
import { parseFeed } from '../../../src/feeds/parse/feed.js';
import { hasMarkup, headlineText, htmlToText, richestSummary } from '../../../src/feeds/parse/plain-text.js';
import { lenientXml, parseXmlFeed, viaFastXml, wrapMixedContent } from '../../../src/feeds/parse/xml.js';
import type { FeedItem } from '../../../src/feeds/types.js';

/** The items of an XML feed as each back-end reads it: rss-parser (xml2js) and the fast-xml-parser fallback. */
async function viaBoth(xml: string): Promise<Record<'xml2js' | 'fxp', FeedItem[]>> {
  const first = await parseXmlFeed(xml, 'https://example.com/feed');
  const second = viaFastXml(lenientXml(wrapMixedContent(xml)), 'https://example.com/feed');
  if (!first.ok || !second.ok) throw new Error('feed did not parse');
  return { xml2js: first.feed.items, fxp: second.feed.items };
}

const atom = (entry: string): string => `<?xml version="1.0"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>urn:t</id><updated>2024-01-01T00:00:00Z</updated>
<entry><id>urn:1</id><updated>2024-01-01T00:00:00Z</updated><link href="https://example.com/1"/>${entry}</entry></feed>`;

const rss = (item: string, ns = ''): string => `<?xml version="1.0"?>
<rss version="2.0"${ns}><channel><title>T</title><link>https://example.com/</link>
<item><link>https://example.com/1</link>${item}</item></channel></rss>`;

describe('reading order through both XML back-ends', () => {
  it('inline XHTML keeps links and code where they stand (the feedvalidator.org item)', async () => {
    const xml = atom(`<title>Hacked?</title><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">
      <p>Google has reported <a href="http://feedvalidator.org/">feedvalidator.org</a> as being <a href="x">hacked</a>, and people are
      tweeting and emailing me. Run <code>make check</code> first.</p><p>Second paragraph</p></div></content>`);
    const items = await viaBoth(xml);
    for (const it of [items.xml2js[0]!, items.fxp[0]!]) {
      expect(it.summaryText).toBe(
        'Google has reported feedvalidator.org as being hacked, and people are tweeting and emailing me. Run make check first.\nSecond paragraph',
      );
    }
  });

  it('an xhtml entry under a non-default Atom prefix, and beside a CDATA section, reads in order too', async () => {
    const xml = `<?xml version="1.0"?><a:feed xmlns:a="http://www.w3.org/2005/Atom"><a:title>T</a:title>
      <a:entry><a:id>urn:1</a:id><a:title>One</a:title><a:link href="https://example.com/1"/>
      <a:content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Who knows an <abbr title="x">XML</abbr> document
      <svg><text><![CDATA[W]]></text></svg>from a hole?</p></div></a:content></a:entry></a:feed>`;
    const items = await viaBoth(xml);
    expect(items.xml2js[0]!.summaryText).toBe('Who knows an XML document from a hole?');
    expect(items.fxp[0]!.summaryText).toBe('Who knows an XML document from a hole?');
  });

  it('HTML pasted unescaped into an RSS description keeps its order', async () => {
    const xml = rss('<title>x</title><description>Google has reported <a href="/m">feedvalidator.org</a> as being <b>hacked</b>, and</description>');
    const items = await viaBoth(xml);
    expect(items.xml2js[0]!.summaryText).toBe('Google has reported feedvalidator.org as being hacked, and');
    expect(items.fxp[0]!.summaryText).toBe('Google has reported feedvalidator.org as being hacked, and');
  });

  it('a nested element of the same name is left to the reader (no broken CDATA)', () => {
    const xml = atom('<summary type="xhtml"><div><details><summary>Open</summary>Body</details></div></summary>');
    expect(wrapMixedContent(xml)).toBe(xml);
  });

  it('100,000 unclosed <description> openers are left as they are, each looked at once', () => {
    const xml = rss('<title>x</title>') + '<description><b>'.repeat(100_000);
    // nothing to wrap: no element has its end (a rescan per opener would not finish within the test's timeout)
    expect(wrapMixedContent(xml)).toBe(xml);
  });
});

describe('blocks become lines, never glued words', () => {
  it.each([
    ['<p>early 1900s</p><p>Get our <a>morning email briefing</a></p>', 'early 1900s\nGet our morning email briefing'],
    ['<h2>Heading</h2>Body text<br>next line', 'Heading\nBody text\nnext line'],
    ['<ul><li>one</li><li>two</li></ul>', 'one\ntwo'],
    ['<xhtml:p>ns</xhtml:p><xhtml:p>blocks</xhtml:p>', 'ns\nblocks'],
    ['1930ft<sup>2</sup> and note<sup>a</sup>', '1930ft² and notea'],
  ])('%j → %j', (html, text) => {
    expect(htmlToText(html)).toBe(text);
  });
});

describe('entities decoded exactly once', () => {
  it('a double-encoded feed (escaped HTML and nothing else) is read as HTML', () => {
    expect(htmlToText('&lt;p&gt;Fish &amp;amp; chips&lt;/p&gt;&lt;p&gt;Two&lt;/p&gt;')).toBe('Fish & chips\nTwo');
  });

  it('a literal "<" or an escaped tag mentioned in real markup stays as text', () => {
    expect(htmlToText('<p>Use &lt;div&gt; sparingly: a &lt; b</p>')).toBe('Use <div> sparingly: a < b');
    expect(htmlToText('Why &lt;div&gt; soup is bad')).toBe('Why <div> soup is bad');
    expect(htmlToText('AT&amp;amp;T')).toBe('AT&amp;T');
  });
});

describe('headlines are plain text', () => {
  it.each([
    ['<div>Trump Insists Mexico Will Pay for Wall</div>', 'Trump Insists Mexico Will Pay for Wall'],
    ['&#x0024;4300 3bd 1930ft<sup>2</sup>', '$4300 3bd 1930ft²'],
    ['37 &#8211; Spectre', '37 – Spectre'],
    ['Le film à voir ce soir: <i>Legend</i>', 'Le film à voir ce soir: Legend'],
    ['&quot;큰일입니다&quot; &amp; more', '"큰일입니다" & more'],
    ['Moving to &lt;a href=&quot;http://b.example&quot;&gt;b.example&lt;/a&gt;', 'Moving to b.example'],
  ])('markup and entities go: %j → %j', (raw, text) => {
    expect(headlineText(raw)).toBe(text);
  });

  it.each([
    'a < b, and b > c',
    'Why <div> soup is bad',
    'test &lt;b&gt;bold&lt;/b&gt; in title',
    'Ampersands: AT&T & Q&A',
  ])('prose that looks like markup is kept: %j', (raw) => {
    const text = headlineText(raw);
    expect(text).toBe(raw.replace(/&lt;/g, '<').replace(/&gt;/g, '>'));
  });

  it('hasMarkup wants balanced known elements or void ones', () => {
    expect(hasMarkup('<b>x</b>')).toBe(true);
    expect(hasMarkup('line<br/>break')).toBe(true);
    expect(hasMarkup('<foo>x</foo>')).toBe(false);
    expect(hasMarkup('Why <div> soup')).toBe(false);
  });

  it('NYT-style escaped markup in an RSS title is dropped by both back-ends', async () => {
    const items = await viaBoth(rss('<title>&lt;div&gt;Trump Insists&lt;/div&gt;</title><description>x</description>'));
    expect(items.xml2js[0]!.title).toBe('Trump Insists');
    expect(items.fxp[0]!.title).toBe('Trump Insists');
  });
});

describe('the richest summary field', () => {
  const media = ' xmlns:media="http://search.yahoo.com/mrss/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"';

  it('a tracking pixel description loses to content:encoded', async () => {
    const items = await viaBoth(
      rss(`<title>Story</title><description>&lt;img src="https://t.example/p.gif" width="1" height="1"&gt;</description>
      <content:encoded><![CDATA[<p>The council voted on Tuesday to close the bridge.</p>]]></content:encoded>`, media),
    );
    expect(items.xml2js[0]!.summaryText).toBe('The council voted on Tuesday to close the bridge.');
    expect(items.fxp[0]!.summaryText).toBe('The council voted on Tuesday to close the bridge.');
  });

  it('YouTube: media:group/media:description, its line breaks kept', async () => {
    const items = await viaBoth(
      rss(`<title>Video</title><media:group><media:title>Video</media:title>
      <media:description>We test the new camera in the rain.
Subscribe: https://youtube.example/c</media:description></media:group>`, media),
    );
    expect(items.xml2js[0]!.summaryText).toBe('We test the new camera in the rain.\nSubscribe: https://youtube.example/c');
    expect(items.fxp[0]!.summaryText).toBe(items.xml2js[0]!.summaryText);
  });

  it('itunes:summary when there is no description', async () => {
    const items = await viaBoth(rss('<title>Ep 1</title><itunes:summary>Two hosts discuss the week in tech news.</itunes:summary>', media));
    expect(items.xml2js[0]!.summaryText).toBe('Two hosts discuss the week in tech news.');
    expect(items.fxp[0]!.summaryText).toBe('Two hosts discuss the week in tech news.');
  });

  it('a description of a full sentence is kept even when content is longer', () => {
    const chosen = richestSummary(['<p>The council voted to close the bridge.</p>', '<p>Long article …</p>'.repeat(20)], 'Bridge');
    expect(chosen.text).toBe('The council voted to close the bridge.');
  });

  it('a description that only repeats the headline loses', () => {
    const chosen = richestSummary(['Bridge closes', '<p>The council voted on Tuesday to close the bridge.</p>'], 'Bridge closes');
    expect(chosen.text).toBe('The council voted on Tuesday to close the bridge.');
  });

  it('JSON Feed: content_text when summary is empty, content_html when summary is only a fragment', async () => {
    const doc = {
      version: 'https://jsonfeed.org/version/1.1',
      title: 'J',
      items: [
        { id: '1', title: 'A &amp; B', content_text: 'Plain text story.\nSecond line.' },
        { id: '2', title: 'Two', summary: 'Short', content_html: '<p>The whole <em>story</em> in a sentence.</p>' },
      ],
    };
    const res = await parseFeed(new TextEncoder().encode(JSON.stringify(doc)), { contentType: 'application/feed+json' });
    expect(res.ok && res.feed.items.map((i) => [i.title, i.summaryText])).toEqual([
      ['A & B', 'Plain text story.\nSecond line.'],
      ['Two', 'The whole story in a sentence.'],
    ]);
  });
});
