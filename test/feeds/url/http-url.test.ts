import { describe, expect, it } from 'vitest';
import { isHttpUrl, looseUrlKey, parseHttpUrl } from '../../../src/feeds/url/http-url.js';

describe('http URL checks (one validator for fetcher, follow, discovery, OPML, links)', () => {
  it('accepts http and https only', () => {
    expect(isHttpUrl(new URL('https://example.com/feed'))).toBe(true);
    expect(isHttpUrl(new URL('http://example.com/feed'))).toBe(true);
    for (const raw of ['ftp://example.com/x', 'file:///etc/passwd', 'javascript:alert(1)', 'data:text/html,x']) {
      expect(isHttpUrl(new URL(raw))).toBe(false);
    }
  });

  it('parses against a base and refuses what is not an http(s) URL', () => {
    expect(parseHttpUrl('/rss.xml', 'https://example.com/blog/')?.href).toBe('https://example.com/rss.xml');
    expect(parseHttpUrl('not a url')).toBeNull();
    expect(parseHttpUrl('mailto:someone@example.com')).toBeNull();
  });

  it('loose keys ignore scheme, www., trailing slashes and case', () => {
    expect(looseUrlKey('https://www.Example.com/feed/')).toBe(looseUrlKey('http://example.com/feed'));
    expect(looseUrlKey('https://example.com/a')).not.toBe(looseUrlKey('https://example.com/b'));
  });
});
