import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { buildOpml, parseOpml } from '../../../src/feeds/parse/opml.js';

describe('parseOpml', () => {
  it('reads nested outlines, case variants of xmlUrl, and the head title', () => {
    const text = `<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>My  feeds</title></head>
  <body>
    <outline text="News">
      <outline text="World" title="World News" type="rss" xmlUrl="https://news.example/world.xml" htmlUrl="https://news.example/"/>
      <outline text="Deeper">
        <outline text="Tech &amp; Science" xmlurl="https://tech.example/rss"/>
      </outline>
    </outline>
    <outline text="Upper" XMLURL="http://upper.example/feed"/>
    <outline type="rss" text="url attr" url="https://url-attr.example/feed"/>
    <outline text="Just a link" type="link" url="https://not-a-feed.example/"/>
  </body>
</opml>`;
    expect(parseOpml(text)).toEqual({
      ok: true,
      title: 'My feeds',
      feeds: [
        { url: 'https://news.example/world.xml', title: 'World News' },
        { url: 'https://tech.example/rss', title: 'Tech & Science' },
        { url: 'http://upper.example/feed', title: 'Upper' },
        { url: 'https://url-attr.example/feed', title: 'url attr' },
      ],
    });
  });

  it('drops duplicates, non-http and invalid URLs', () => {
    const text = `<opml version="2.0"><head/><body>
      <outline text="a" xmlUrl="https://a.example/feed"/>
      <outline text="a again" xmlUrl="https://A.example/feed"/>
      <outline text="ftp" xmlUrl="ftp://a.example/feed"/>
      <outline text="js" xmlUrl="javascript:alert(1)"/>
      <outline text="file" xmlUrl="file:///etc/passwd"/>
      <outline text="bad" xmlUrl="not a url"/>
      <outline xmlUrl="https://b.example/feed"/>
    </body></opml>`;
    expect(parseOpml(text)).toEqual({
      ok: true,
      title: null,
      feeds: [
        { url: 'https://a.example/feed', title: 'a' },
        { url: 'https://b.example/feed', title: null },
      ],
    });
  });

  it('gives a reason for non-XML, non-OPML and empty input', () => {
    const bad = parseOpml('<opml><body><outline xmlUrl="x"></body>');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.reason).toMatch(/isn't valid XML/);
    const notOpml = parseOpml('<?xml version="1.0"?><rss version="2.0"><channel/></rss>');
    expect(notOpml).toEqual({ ok: false, reason: "that file isn't OPML (no <opml> element)" });
    expect(parseOpml('   ')).toEqual({ ok: false, reason: 'the OPML file is empty' });
  });

  it('accepts a single outline and an empty body', () => {
    expect(parseOpml('<opml><body><outline xmlUrl="https://x.example/f"/></body></opml>')).toEqual({
      ok: true,
      title: null,
      feeds: [{ url: 'https://x.example/f', title: null }],
    });
    expect(parseOpml('<opml version="2.0"><head><title>T</title></head><body></body></opml>')).toEqual({
      ok: true,
      title: 'T',
      feeds: [],
    });
  });

  it('does not expand a billion-laughs entity bomb', () => {
    const bomb = `<?xml version="1.0"?>
<!DOCTYPE opml [
  <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
  <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
  <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
]>
<opml><head><title>&e;</title></head><body/></opml>`;
    const started = Date.now();
    const r = parseOpml(bomb);
    expect(Date.now() - started).toBeLessThan(1000);
    if (r.ok) expect((r.title ?? '').length).toBeLessThan(100_000);
  });
});

describe('buildOpml', () => {
  const feeds = [
    { url: 'https://news.example/rss?a=1&b=2', title: 'News "quoted" <b>&</b> \'apos\'', siteUrl: 'https://news.example/' },
    { url: 'https://plain.example/feed', title: null },
    { url: 'https://tabs.example/feed', title: 'line\nbreak\tand tab', siteUrl: null },
  ];

  it('produces valid OPML 2.0 with escaped attributes', () => {
    const xml = buildOpml('Herald <export> & more', feeds, new Date('2024-01-02T03:04:05Z'));
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).toContain('<opml version="2.0">');
    expect(xml).toContain('<title>Herald &lt;export&gt; &amp; more</title>');
    expect(xml).toContain('<dateCreated>Tue, 02 Jan 2024 03:04:05 GMT</dateCreated>');
    expect(xml).toContain('xmlUrl="https://news.example/rss?a=1&amp;b=2"');
    expect(xml).toContain('text="https://plain.example/feed"'); // OPML 2.0 requires text
    expect(xml).not.toMatch(/title="[^"]*"[^>]*title=/);
  });

  it('round-trips through parseOpml', () => {
    const parsed = parseOpml(buildOpml('Herald <export> & more', feeds));
    expect(parsed).toEqual({
      ok: true,
      title: 'Herald <export> & more',
      feeds: [
        { url: 'https://news.example/rss?a=1&b=2', title: 'News "quoted" <b>&</b> \'apos\'' },
        { url: 'https://plain.example/feed', title: 'https://plain.example/feed' },
        { url: 'https://tabs.example/feed', title: 'line break and tab' },
      ],
    });
  });

  it('drops control characters XML cannot carry', () => {
    const xml = buildOpml('a\u0000b\u0007c', [{ url: 'https://x.example/f', title: 'x\u001by' }]);
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(parseOpml(xml)).toMatchObject({ ok: true, title: 'abc', feeds: [{ title: 'xy' }] });
  });
});
