// Small, allocation-light helpers shared by the XML and JSON feed normalisers.
import { createHash } from 'node:crypto';
import { HTML_ENTITIES } from './entities.js';

/** Summary HTML kept per item (characters). Protects memory on feeds that inline whole articles. */
const MAX_SUMMARY_CHARS = 20_000;
export const MAX_TITLE_CHARS = 2_000;
export const MAX_ID_CHARS = 512;
export const MAX_CATEGORIES = 50;
export const MAX_ITEMS = 2_000;

/** A plain object (not null, not an array): what parsed XML and JSON nodes are checked for. */
export function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Plain text made safe to embed in HTML (summaries are kept as HTML). */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function sha1(s: string): string {
  return createHash('sha1').update(s).digest('hex');
}

/** Collapses runs of whitespace (including newlines and NBSP) to one space and trims. */
export function collapse(s: string): string {
  return s.replace(/[\s\u00a0]+/g, ' ').trim();
}

const XML_ENTITY: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** Decodes XML and HTML 4 named entities and numeric references, once (raw element content, escaped headlines). */
export function decodeEntities(s: string): string {
  if (s.indexOf('&') === -1) return s;
  return s.replace(/&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z][a-zA-Z0-9]{1,8});/g, (m, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      if (!Number.isFinite(code) || code <= 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return m;
      return String.fromCodePoint(code);
    }
    const named = XML_ENTITY[ref] ?? HTML_ENTITIES.get(ref);
    return named === undefined ? m : typeof named === 'number' ? String.fromCodePoint(named) : named;
  });
}

/** Raw element content (as kept by the fallback parser's stop nodes) → the HTML it carries. */
export function rawContentToHtml(raw: string, type: string | null): string {
  const t = (type ?? '').toLowerCase();
  if (t === 'xhtml' || t === 'application/xhtml+xml') {
    // Inline XHTML arrives wrapped in CDATA by the XML reader (xml.ts wrapMixedContent): its markup, in document order.
    const trimmed = raw.trim();
    return stripXhtmlWrapper(trimmed.startsWith('<![CDATA[') ? unwrapCdata(trimmed).trim() : trimmed);
  }
  return raw.indexOf('<![CDATA[') !== -1 ? unwrapCdata(raw) : decodeEntities(raw);
}

/** CDATA sections are literal; text between them is entity-encoded. */
function unwrapCdata(raw: string): string {
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const start = raw.indexOf('<![CDATA[', i);
    if (start === -1) {
      out += decodeEntities(raw.slice(i));
      break;
    }
    out += decodeEntities(raw.slice(i, start));
    const end = raw.indexOf(']]>', start + 9);
    if (end === -1) {
      out += raw.slice(start + 9);
      break;
    }
    out += raw.slice(start + 9, end);
    i = end + 3;
  }
  return out;
}

function stripXhtmlWrapper(s: string): string {
  const m = /^<(?:[\w-]+:)?div\b[^>]*>([\s\S]*)<\/(?:[\w-]+:)?div>$/.exec(s);
  return m ? (m[1] ?? '').trim() : s;
}

export function capHtml(s: string): string {
  return s.length > MAX_SUMMARY_CHARS ? s.slice(0, MAX_SUMMARY_CHARS) : s;
}

const IMG_RE = /<img\b[^>]*>/gi;
const SRC_RE = /\ssrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/i;
const ONE_PX_RE = /\s(?:width|height)\s*=\s*["']?[01](?:px)?["'\s/>]/i;

/** The first `<img src>` in an HTML fragment that is not a 1×1 tracking pixel or a data: URI. */
export function firstImgSrc(html: string): string | null {
  if (!html || html.indexOf('<img') === -1 && html.indexOf('<IMG') === -1) return null;
  IMG_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  let n = 0;
  while ((m = IMG_RE.exec(html)) && n++ < 20) {
    const tag = m[0];
    if (ONE_PX_RE.test(tag)) continue;
    const s = SRC_RE.exec(tag);
    const src = s ? (s[1] ?? s[2] ?? s[3] ?? '').trim() : '';
    if (!src || /^data:/i.test(src)) continue;
    return decodeEntities(src);
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Dates

const ZONES: Record<string, string> = {
  UT: '+0000', UTC: '+0000', GMT: '+0000', Z: '+0000', WET: '+0000', WEST: '+0100', BST: '+0100', IST: '+0530',
  CET: '+0100', CEST: '+0200', MET: '+0100', MEST: '+0200', MEZ: '+0100', MESZ: '+0200', EET: '+0200', EEST: '+0300',
  MSK: '+0300', MSD: '+0400', SAST: '+0200', PKT: '+0500', ICT: '+0700', WIB: '+0700', HKT: '+0800', SGT: '+0800',
  AWST: '+0800', PHT: '+0800', CST8: '+0800', JST: '+0900', KST: '+0900', ACST: '+0930', AEST: '+1000',
  AEDT: '+1100', NZST: '+1200', NZDT: '+1300', EST: '-0500', EDT: '-0400', CST: '-0600', CDT: '-0500',
  MST: '-0700', MDT: '-0600', PST: '-0800', PDT: '-0700', AKST: '-0900', AKDT: '-0800', HST: '-1000',
  AST: '-0400', ADT: '-0300', NST: '-0330', NDT: '-0230', BRT: '-0300', ART: '-0300',
};

const MONTHS: Record<string, string> = {
  jan: 'Jan', feb: 'Feb', mar: 'Mar', apr: 'Apr', may: 'May', jun: 'Jun', jul: 'Jul', aug: 'Aug',
  sep: 'Sep', sept: 'Sep', oct: 'Oct', nov: 'Nov', dec: 'Dec',
  // a few common non-English abbreviations
  mär: 'Mar', mrz: 'Mar', mai: 'May', okt: 'Oct', dez: 'Dec', janv: 'Jan', févr: 'Feb', fevr: 'Feb', avr: 'Apr',
  juin: 'Jun', juil: 'Jul', août: 'Aug', aout: 'Aug', déc: 'Dec', ene: 'Jan', abr: 'Apr', ago: 'Aug', dic: 'Dec',
  set: 'Sep', out: 'Oct', mag: 'May', giu: 'Jun', lug: 'Jul', ott: 'Oct', gen: 'Jan', maj: 'May', mei: 'May',
};

const MIN_TIME = Date.UTC(1900, 0, 1);
const MAX_TIME = Date.UTC(2200, 0, 1);

function valid(t: number): boolean {
  return Number.isFinite(t) && t >= MIN_TIME && t < MAX_TIME;
}

/** Tolerant feed date → ISO 8601, or null. RFC 822 (with named zones), ISO 8601, W3CDTF. Never throws. */
export function parseFeedDate(raw: string | null | undefined): string | null {
  if (!raw) return null;
  let s = collapse(raw);
  if (!s || s.length > 100) return null;
  // ISO without a zone: read as UTC rather than the server's local time.
  if (/^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?$/.test(s)) s = s.replace(' ', 'T').replace(',', '.') + 'Z';
  else if (/^\d{4}-\d\d-\d\d \d\d:\d\d/.test(s)) s = s.replace(' ', 'T');
  let t = Date.parse(s);
  if (valid(t)) return new Date(t).toISOString();
  // RFC 822 variants: drop a (possibly non-English) weekday, normalise month, map named zones.
  let r = s.replace(/^[^\d,]{2,12},\s*/, '').replace(/^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?\s+/i, '');
  r = r.replace(/\b([A-Za-zÀ-ÿ]{3,5})\.?(?=\s|-|$)/g, (m, w: string) => MONTHS[w.toLowerCase()] ?? m);
  r = r.replace(/\b([A-Z]{1,5}\d?)$/, (m, z: string) => ZONES[z] ?? m);
  r = r.replace(/([+-]\d\d):?(\d\d)$/, '$1$2');
  // A zone-less RFC 822 time is UTC by convention (and deterministic).
  if (/\d\d:\d\d(?::\d\d)?$/.test(r)) r += ' +0000';
  t = Date.parse(r);
  if (valid(t)) return new Date(t).toISOString();
  return null;
}
