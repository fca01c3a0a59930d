/** One normalised feed entry. Every string is trimmed; absent values are null or empty, never undefined. */
export interface FeedItem {
  /** Stable id: guid → Atom id → rdf:about → canonical link → hash of title+date. */
  id: string;
  /** Canonical article link (tracking parameters removed), or null when the item has none. */
  link: string | null;
  title: string;
  /** Summary as HTML from the feed (description / summary / content snippet). Untrusted. */
  summaryHtml: string;
  /**
   * The summary's visible text (tags dropped, entities decoded): what the item is matched and summarised on,
   * computed once by the parser. Absent only on items stored before it existed: read it through summaryTextOf.
   */
  summaryText?: string;
  author: string | null;
  categories: string[];
  /** Absolute image URL (media:thumbnail / media:content / enclosure image / first <img>), or null. */
  image: string | null;
  /** Published (or updated) time as ISO 8601, or null when missing or unparseable. */
  published: string | null;
}

export interface ParsedFeed {
  title: string;
  /** The site's home page, when the feed names one. */
  siteUrl: string | null;
  items: FeedItem[];
}
