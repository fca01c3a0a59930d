/** True for http: and https: URLs, the only schemes Herald fetches, follows or links to. */
export function isHttpUrl(url: URL): boolean {
  return url.protocol === 'http:' || url.protocol === 'https:';
}

/** `raw` parsed (against `base`, when given) as an http(s) URL; null when it is not one or does not parse. */
export function parseHttpUrl(raw: string, base?: string | URL): URL | null {
  try {
    const url = new URL(raw, base);
    return isHttpUrl(url) ? url : null;
  } catch {
    return null;
  }
}

/**
 * A URL with its scheme, a leading `www.`, trailing slashes and letter case set aside: the key for "is this the
 * same page" when one side was typed by a member or a feed names its site loosely.
 */
export function looseUrlKey(url: string): string {
  return url.replace(/^https?:\/\/(?:www\.)?/i, '').replace(/\/+$/, '').toLowerCase();
}
