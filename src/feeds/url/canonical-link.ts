// Article URL → canonical form used for links, ids and cross-feed dedupe.
import { isHttpUrl } from './http-url.js';

/** Exact query keys (lower-case) that only carry tracking data. */
const TRACKING_KEYS = new Set([
  'fbclid',
  'gclid',
  'gclsrc',
  'dclid',
  'gbraid',
  'wbraid',
  'msclkid',
  'mc_cid',
  'mc_eid',
  'igshid',
  'yclid',
  'twclid',
  'ttclid',
  'li_fat_id',
  '_hsenc',
  '_hsmi',
  '__hssc',
  '__hstc',
  '__hsfp',
  'hsctatracking',
  '_ga',
  '_gl',
  'ref_src',
  'ref_url',
  'cmpid',
  'cmp',
  'ns_mchannel',
  'ns_source',
  'ns_campaign',
  'ns_linkname',
  'ns_fee',
  'ocid',
  'mkt_tok',
  'oly_anon_id',
  'oly_enc_id',
  'vero_id',
  'vero_conv',
  'rb_clickid',
  's_cid',
  'wt.mc_id',
  'wt.mc_ev',
  'soc_src',
  'soc_trk',
  'sr_share',
  'smid',
  'smtyp',
  'ito',
  'guccounter',
  'guce_referrer',
  'guce_referrer_sig',
  '__twitter_impression',
  'xtor',
  'taid',
  'ncid',
  'mbid',
]);

/** Key prefixes (lower-case) that only carry tracking data. */
const TRACKING_PREFIXES = ['utm_', 'at_', 'pk_', 'mtm_', 'piwik_', 'matomo_', 'hmb_', 'ga_', 'fb_action_', 'fb_ref', 'fb_source'];

function isTrackingKey(rawKey: string): boolean {
  let key = rawKey;
  try {
    key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
  } catch {
    /* keep raw */
  }
  key = key.trim().toLowerCase();
  if (TRACKING_KEYS.has(key)) return true;
  for (const p of TRACKING_PREFIXES) if (key.startsWith(p)) return true;
  return false;
}

/**
 * Absolute http(s) URL (resolved against `base`), fragment dropped, host lower-cased,
 * default port dropped, tracking parameters removed, remaining parameters kept in order.
 * Returns null for non-http(s) or unparseable input.
 */
export function canonicalLink(raw: string | null | undefined, base?: string | null): string | null {
  if (typeof raw !== 'string') return null;
  let s = raw.trim();
  if (!s || s.length > 8192) return null;
  let url: URL;
  try {
    let baseUrl: URL | undefined;
    if (base) {
      try {
        baseUrl = new URL(base.trim());
        if (!isHttpUrl(baseUrl)) baseUrl = undefined;
      } catch {
        baseUrl = undefined;
      }
    }
    if (!baseUrl && s.startsWith('//')) s = 'https:' + s;
    url = baseUrl ? new URL(s, baseUrl) : new URL(s);
  } catch {
    return null;
  }
  if (!isHttpUrl(url) || !url.hostname) return null;
  url.hash = '';
  if (url.search) {
    const kept = url.search
      .slice(1)
      .split('&')
      .filter((pair) => pair !== '' && !isTrackingKey(pair.split('=', 1)[0] ?? ''));
    url.search = kept.length ? '?' + kept.join('&') : '';
  }
  // WHATWG URL already lower-cases the host and drops default ports; a lone "?" is dropped above.
  let out = url.href;
  if (out.endsWith('?')) out = out.slice(0, -1);
  return out;
}

/**
 * Absolute http(s) URL resolved against `base`, otherwise untouched (query kept: image CDNs sign it).
 * null for non-http(s) or unparseable input.
 */
export function absoluteHttpUrl(raw: string | null | undefined, base?: string | null): string | null {
  if (typeof raw !== 'string') return null;
  let s = raw.trim();
  if (!s || s.length > 8192) return null;
  try {
    let baseUrl: URL | undefined;
    if (base) {
      try {
        baseUrl = new URL(base.trim());
      } catch {
        baseUrl = undefined;
      }
    }
    if (!baseUrl && s.startsWith('//')) s = 'https:' + s;
    const url = baseUrl ? new URL(s, baseUrl) : new URL(s);
    if (!isHttpUrl(url) || !url.hostname) return null;
    url.hash = '';
    return url.href;
  } catch {
    return null;
  }
}
