// Article URL → canonical form used for links, ids and cross-feed dedupe.
import { isHttpUrl } from './http-url.js';

/**
 * Query parameters that only say how a reader arrived (campaign, click id, feed), never which page they get. One
 * list, matched case-insensitively on the decoded key:
 *   'key'          always tracking               'prefix_*'   every key that starts with prefix_
 *   'key=value'    tracking with that value only  'key=value*' …with a value that starts with value
 * To add one: check on real links that the page is the same with and without it (a key that elsewhere selects
 * content, such as `partner`, `source` or `ref`, goes in only with its feed value), then add a line and a test case.
 * Changing the list changes canonical links, and so story keys and the ids of items that have no guid: a feed's
 * items whose links lose a parameter are seen once more as new after the upgrade.
 */
const TRACKING_PARAMETERS = [
  // Campaign tags: Google Analytics, Matomo/Piwik, AT Internet (BBC "at_medium=RSS"), HubSpot, Adobe, Webtrends.
  'utm_*', 'pk_*', 'mtm_*', 'piwik_*', 'matomo_*', 'hmb_*', 'ga_*', 'at_*', 'xtor', '_ga', '_gl',
  '_hsenc', '_hsmi', '__hssc', '__hstc', '__hsfp', 'hsctatracking', 's_cid', 'wt.mc_id', 'wt.mc_ev',
  // Ad and social click ids.
  'fbclid', 'gclid', 'gclsrc', 'dclid', 'gbraid', 'wbraid', 'msclkid', 'yclid', 'twclid', 'ttclid', 'li_fat_id',
  'igshid', 'rb_clickid', 'fb_action_*', 'fb_ref*', 'fb_source*', '__twitter_impression', 'ref_src', 'ref_url',
  // Newsletters: Mailchimp, Marketo, Vero, Olytics.
  'mc_cid', 'mc_eid', 'mkt_tok', 'vero_id', 'vero_conv', 'oly_anon_id', 'oly_enc_id',
  // Publishers' own campaign keys: NYT (emc, smid, smtyp), Guardian/CNN (cmp, cmpid), MSN (ocid), Yahoo (ncid, guccounter…),
  // Comscore (ns_*), and others seen on news links.
  'emc', 'smid', 'smtyp', 'cmp', 'cmpid', 'ocid', 'ito', 'ncid', 'taid', 'mbid', 'soc_src', 'soc_trk', 'sr_share',
  'guccounter', 'guce_referrer', 'guce_referrer_sig', 'ns_mchannel', 'ns_source', 'ns_campaign', 'ns_linkname', 'ns_fee',
  // Keys that elsewhere select content: tracking only when they name the feed (NYT "partner=rss", Science "rss=1",
  // Medium "source=rss----…", "from=rss" on many sites).
  'partner=rss*', 'rss=1', 'from=rss', 'ref=rss', 'src=rss', 'source=rss*',
];

interface TrackingRule {
  key: string;
  keyPrefix: boolean;
  /** null: any value. */
  value: string | null;
  valuePrefix: boolean;
}

const TRACKING_RULES: TrackingRule[] = TRACKING_PARAMETERS.map((entry) => {
  const eq = entry.indexOf('=');
  const key = eq < 0 ? entry : entry.slice(0, eq);
  const value = eq < 0 ? null : entry.slice(eq + 1);
  return {
    key: key.replace(/\*$/, '').toLowerCase(),
    keyPrefix: key.endsWith('*'),
    value: value === null ? null : value.replace(/\*$/, '').toLowerCase(),
    valuePrefix: value?.endsWith('*') ?? false,
  };
});

function decodedLower(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' ')).trim().toLowerCase();
  } catch {
    return raw.trim().toLowerCase();
  }
}

function isTrackingParameter(pair: string): boolean {
  const eq = pair.indexOf('=');
  const key = decodedLower(eq < 0 ? pair : pair.slice(0, eq));
  let value: string | undefined;
  for (const rule of TRACKING_RULES) {
    if (rule.keyPrefix ? !key.startsWith(rule.key) : key !== rule.key) continue;
    if (rule.value === null) return true;
    value ??= decodedLower(eq < 0 ? '' : pair.slice(eq + 1));
    if (rule.valuePrefix ? value.startsWith(rule.value) : value === rule.value) return true;
  }
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
      .filter((pair) => pair !== '' && !isTrackingParameter(pair));
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
