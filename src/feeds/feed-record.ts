import type { FeedRecord } from './records.js';

/** A feed Herald has not polled yet: no validators, no history. */
export function blankFeedRecord(url: string, title: string | null, siteUrl: string | null, now: Date): FeedRecord {
  return {
    url,
    title: title || new URL(url).hostname,
    siteUrl,
    etag: null,
    lastModified: null,
    bodyHash: null,
    addedAt: now.toISOString(),
    lastPolledAt: null,
    lastSuccessAt: null,
    lastNewItemAt: null,
    consecutiveFailures: 0,
    firstFailureAt: null,
    lastError: null,
    disabledReason: null,
    nextPollAt: null,
  };
}
