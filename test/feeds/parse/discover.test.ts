import { describe, expect, it } from 'vitest';
import { discoverFeedLinks } from '../../../src/feeds/parse/discover.js';
import { parseFeed } from '../../../src/feeds/parse/feed.js';

const PAGE = 'https://news.example/section/world/';

describe('discoverFeedLinks', () => {
  it('finds RSS, Atom and JSON Feed links, resolving relative hrefs', () => {
    const html = `<!doctype html><html><head>
      <title>World</title>
      <link rel="stylesheet" href="/s.css">
      <link rel="alternate" type="application/rss+xml" title="World news  RSS" href="/rss/world.xml">
      <LINK REL="Alternate" TYPE="Application/Atom+XML" HREF="atom.xml" title="Atom">
      <link rel="alternate" type="application/feed+json" href="//news.example/feed.json">
      <link rel="alternate" type="application/json" href="https://news.example/feed2.json" title="">
    </head><body></body></html>`;
    expect(discoverFeedLinks(html, PAGE)).toEqual([
      { url: 'https://news.example/rss/world.xml', title: 'World news RSS', type: 'rss' },
      { url: 'https://news.example/section/world/atom.xml', title: 'Atom', type: 'atom' },
      { url: 'https://news.example/feed.json', title: null, type: 'json' },
      { url: 'https://news.example/feed2.json', title: null, type: 'json' },
    ]);
  });

  it('treats rel as a token list and ignores other rels and types', () => {
    const html = `<head>
      <link rel="home alternate" type="application/rss+xml" href="/a.xml">
      <link rel="alternates" type="application/rss+xml" href="/b.xml">
      <link rel="alternate" type="text/html" hreflang="fr" href="/fr/">
      <link rel="alternate" href="/c.xml">
      <link rel="alternate stylesheet" type="text/css" href="/d.css">
      <link rel="alternate" type="application/rss+xml; charset=utf-8" href="/e.xml">
    </head>`;
    expect(discoverFeedLinks(html, PAGE).map((f) => f.url)).toEqual([
      'https://news.example/a.xml',
      'https://news.example/e.xml',
    ]);
  });

  it('drops duplicates, empty and non-http hrefs, and decodes entities', () => {
    const html = `<head>
      <link rel="alternate" type="application/rss+xml" href="/feed?a=1&amp;b=2">
      <link rel="alternate" type="application/rss+xml" href="https://news.example/feed?a=1&b=2">
      <link rel="alternate" type="application/rss+xml" href="/feed?a=1&amp;b=2#top">
      <link rel="alternate" type="application/rss+xml" href="">
      <link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
      <link rel="alternate" type="application/rss+xml" href="data:text/xml,<rss/>">
      <link rel="alternate" type="application/atom+xml" title="Tom &amp; Jerry" href="http://other.example/atom">
    </head>`;
    expect(discoverFeedLinks(html, PAGE)).toEqual([
      { url: 'https://news.example/feed?a=1&b=2', title: null, type: 'rss' },
      { url: 'http://other.example/atom', title: 'Tom & Jerry', type: 'atom' },
    ]);
  });

  it('honours <base href>', () => {
    const html = `<head><base href="https://cdn.example/blog/"><link rel="alternate" type="application/rss+xml" href="feed.xml"></head>`;
    expect(discoverFeedLinks(html, PAGE)[0]!.url).toBe('https://cdn.example/blog/feed.xml');
  });

  it("skips WordPress's REST API alternate links", () => {
    const html = `<head>
      <link rel="alternate" type="application/rss+xml" title="Blog » Feed" href="https://blog.example/feed/">
      <link rel="alternate" title="JSON" type="application/json" href="https://blog.example/wp-json/wp/v2/pages/2">
    </head>`;
    expect(discoverFeedLinks(html, 'https://blog.example/')).toEqual([
      { url: 'https://blog.example/feed/', title: 'Blog » Feed', type: 'rss' },
    ]);
  });

  it('copes with broken HTML and finds nothing in a page without feeds', () => {
    expect(discoverFeedLinks('<html><head><p><link rel=alternate type=application/rss+xml href=/x.xml><div', PAGE)).toEqual([
      { url: 'https://news.example/x.xml', title: null, type: 'rss' },
    ]);
    expect(discoverFeedLinks('<p>Hello</p>', PAGE)).toEqual([]);
    expect(discoverFeedLinks('', PAGE)).toEqual([]);
  });
});

// What the parser treats as a web page (code html-page, which sends /feed add to discovery) and what as a feed.
describe('HTML page or feed', () => {
  it.each([
    '<!DOCTYPE html><html><body>hi</body></html>',
    '\uFEFF  <!doctype HTML>\n<html>',
    '<html lang="en"><head>',
    '<!-- comment -->\n<html>',
    '<?xml version="1.0"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "x"><html xmlns="http://www.w3.org/1999/xhtml">',
    '<head><title>x</title></head>',
    'Some text then <html><body>',
  ])('html: %s', async (body) => {
    const parsed = await parseFeed(new TextEncoder().encode(body));
    expect(parsed.ok ? 'ok' : parsed.error.code).toBe('html-page');
  });
  it.each([
    '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><description><![CDATA[<html><body>x</body></html>]]></description></channel></rss>',
    '<?xml version="1.0"?>\n<?xml-stylesheet href="s.xsl"?>\n<feed xmlns="http://www.w3.org/2005/Atom">',
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
    '  <rss version="2.0">',
    '{"version":"https://jsonfeed.org/version/1.1","items":[]}',
  ])('not html: %s', async (body) => {
    const parsed = await parseFeed(new TextEncoder().encode(body));
    expect(parsed.ok).toBe(true);
  });
});
