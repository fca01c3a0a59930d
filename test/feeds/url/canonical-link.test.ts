import { describe, expect, it } from 'vitest';
import { absoluteHttpUrl, canonicalLink } from '../../../src/feeds/url/canonical-link.js';

describe('canonicalLink', () => {
  it('strips BBC at_* tracking parameters', () => {
    expect(canonicalLink('https://www.bbc.com/news/articles/cdj2v7n0101o?at_medium=RSS&at_campaign=rss')).toBe(
      'https://www.bbc.com/news/articles/cdj2v7n0101o',
    );
  });

  it('removes utm_* and click ids but keeps other parameters in order', () => {
    expect(
      canonicalLink('https://example.com/a?utm_source=rss&id=5&utm_medium=feed&page=2&fbclid=abc&gclid=x&q=a+b'),
    ).toBe('https://example.com/a?id=5&page=2&q=a+b');
    expect(canonicalLink('https://example.com/a?UTM_Source=x&mc_cid=1&mc_eid=2&igshid=3&ocid=4&cmpid=5')).toBe(
      'https://example.com/a',
    );
    expect(canonicalLink('https://example.com/a?ns_mchannel=rss&ns_source=x&ns_campaign=y&ref_src=twsrc&b=1')).toBe(
      'https://example.com/a?b=1',
    );
    expect(canonicalLink('https://example.com/a?_hsenc=1&_hsmi=2&msclkid=3&dclid=4&yclid=5&keep=')).toBe(
      'https://example.com/a?keep=',
    );
  });

  it('strips NYT ?partner=rss&emc=rss and the other publishers\' campaign keys', () => {
    expect(canonicalLink('https://www.nytimes.com/2024/05/01/world/europe/story.html?partner=rss&emc=rss')).toBe(
      'https://www.nytimes.com/2024/05/01/world/europe/story.html',
    );
    expect(canonicalLink('https://www.nytimes.com/a.html?smid=tw-nytimes&smtyp=cur&emc=edit_na_20240501')).toBe('https://www.nytimes.com/a.html');
    expect(canonicalLink('https://example.com/a?CMP=share_btn_tw&ito=792&ocid=msedgntp&cmpid=rss&mkt_tok=abc')).toBe('https://example.com/a');
    expect(canonicalLink('https://www.bbc.co.uk/news/x?at_medium=RSS&at_campaign=KARANGA&ns_mchannel=rss&ns_source=PublicRSS20-sa')).toBe(
      'https://www.bbc.co.uk/news/x',
    );
  });

  it('strips feed markers from keys that elsewhere select content, and keeps those keys otherwise', () => {
    expect(canonicalLink('http://science.sciencemag.org/cgi/content/short/356/6340/816-b?rss=1')).toBe('http://science.sciencemag.org/cgi/content/short/356/6340/816-b');
    expect(canonicalLink('http://money.rin.ru/content/news/?id=106311&from=rss')).toBe('http://money.rin.ru/content/news/?id=106311');
    expect(canonicalLink('https://medium.com/x/the-creative-forager-125af37d838f?source=rss----d12c403d4976--food')).toBe(
      'https://medium.com/x/the-creative-forager-125af37d838f',
    );
    expect(canonicalLink('https://example.com/a?ref=RSS&src=rss&partner=rssnyt')).toBe('https://example.com/a');
    // The same keys carrying content stay: a partner page, a search source, a reference id.
    expect(canonicalLink('https://example.com/partners?partner=acme&source=archive&ref=123&rss=full')).toBe(
      'https://example.com/partners?partner=acme&source=archive&ref=123&rss=full',
    );
  });

  it('does not re-encode the parameters it keeps', () => {
    expect(canonicalLink('https://example.com/s?sid=09%2F01&x=a%20b&flag')).toBe('https://example.com/s?sid=09%2F01&x=a%20b&flag');
  });

  it('drops fragments, lower-cases the host and drops default ports', () => {
    expect(canonicalLink('HTTPS://WWW.Example.COM:443/Path/Case#section-2')).toBe('https://www.example.com/Path/Case');
    expect(canonicalLink('http://example.com:80/x')).toBe('http://example.com/x');
    expect(canonicalLink('http://example.com:8080/x')).toBe('http://example.com:8080/x');
  });

  it('resolves relative links against the base', () => {
    expect(canonicalLink('/news/1?utm_source=x', 'https://site.example/feed.xml')).toBe('https://site.example/news/1');
    expect(canonicalLink('story.html', 'https://site.example/blog/')).toBe('https://site.example/blog/story.html');
    expect(canonicalLink('//cdn.example/a', 'http://site.example/')).toBe('http://cdn.example/a');
    expect(canonicalLink('//cdn.example/a')).toBe('https://cdn.example/a');
    expect(canonicalLink('/relative/without/base')).toBeNull();
  });

  it('trims surrounding whitespace', () => {
    expect(canonicalLink('\n   https://example.com/a  \n')).toBe('https://example.com/a');
  });

  it('returns null for non-http(s) and unparseable input', () => {
    expect(canonicalLink('mailto:someone@example.com')).toBeNull();
    expect(canonicalLink('javascript:alert(1)')).toBeNull();
    expect(canonicalLink('ftp://example.com/file')).toBeNull();
    expect(canonicalLink('tag:example.com,2024:1')).toBeNull();
    expect(canonicalLink('http://')).toBeNull();
    expect(canonicalLink('')).toBeNull();
    expect(canonicalLink('   ')).toBeNull();
    expect(canonicalLink(null)).toBeNull();
    expect(canonicalLink(undefined)).toBeNull();
    expect(canonicalLink('not a url')).toBeNull();
    expect(canonicalLink('javascript:x', 'https://example.com/')).toBeNull();
  });

  it('ignores a bad base and still accepts absolute links', () => {
    expect(canonicalLink('https://example.com/a', 'not a base')).toBe('https://example.com/a');
  });
});

describe('absoluteHttpUrl', () => {
  it('resolves but keeps query parameters (image CDNs sign them)', () => {
    expect(absoluteHttpUrl('/img.jpg?w=100&utm_source=x#f', 'https://site.example/')).toBe(
      'https://site.example/img.jpg?w=100&utm_source=x',
    );
    expect(absoluteHttpUrl('data:image/png;base64,AAAA')).toBeNull();
  });
});
