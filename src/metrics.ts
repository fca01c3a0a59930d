// Herald's Prometheus metrics: one process-wide registry that the pipeline counts into (feeds, alerts) and that
// the HTTP endpoint (src/metrics-server.ts, entry layer) serves. It sits in the base layer so every domain can count
// without depending on anything above it; it knows no domain itself, only names and labels.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface HeraldMetrics {
  registry: Registry;
  /** One per feed polled, by outcome (new-items, unchanged, not-modified, first-fetch, failed, disabled, skipped). */
  polls: Counter<'outcome'>;
  /** Failed feed polls by kind: a FetchError code (dns, timeout, http-status, …), `parse`, or `other`. */
  fetchErrors: Counter<'kind'>;
  /** New feed items handed to alert routing. */
  items: Counter;
  alertsPosted: Counter;
  /** Sends that failed, by what the failure was (channel_gone, forbidden, refused, unknown). */
  sendFailures: Counter<'reason'>;
  /** Alerts waiting in the outbox, counted when scraped (set by the app through `outboxDepthSource`). */
  outboxDepth: Gauge;
  /** Seconds to route one item: matching it against every subscription and picking the channels. */
  matchSeconds: Histogram;
}

/** Where the outbox depth comes from at scrape time; null until the app sets it. */
let outboxDepthSource: (() => Promise<number>) | null = null;

export function setOutboxDepthSource(source: (() => Promise<number>) | null): void {
  outboxDepthSource = source;
}

function createMetrics(): HeraldMetrics {
  const registry = new Registry();
  // process CPU, memory, GC and event-loop lag (nodejs_eventloop_lag_seconds and its percentiles)
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    polls: new Counter({ name: 'herald_polls_total', help: 'Feed polls, by outcome', labelNames: ['outcome'], registers: [registry] }),
    fetchErrors: new Counter({ name: 'herald_fetch_errors_total', help: 'Failed feed polls, by kind', labelNames: ['kind'], registers: [registry] }),
    items: new Counter({ name: 'herald_items_total', help: 'New feed items routed to subscriptions', registers: [registry] }),
    alertsPosted: new Counter({ name: 'herald_alerts_posted_total', help: 'Alerts posted to Discord', registers: [registry] }),
    sendFailures: new Counter({ name: 'herald_send_failures_total', help: 'Failed alert sends, by reason', labelNames: ['reason'], registers: [registry] }),
    outboxDepth: new Gauge({
      name: 'herald_outbox_depth',
      help: 'Alerts waiting in the outbox',
      registers: [registry],
      async collect() {
        // a store that fails shows as NaN: the scrape still answers
        if (outboxDepthSource) this.set(await outboxDepthSource().catch(() => Number.NaN));
      },
    }),
    matchSeconds: new Histogram({
      name: 'herald_match_seconds',
      help: 'Time to route one item (match against every subscription)',
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1],
      registers: [registry],
    }),
  };
}

/** The process's metrics. Counting is cheap and always on; they are served only when METRICS_PORT is set. */
export const metrics: HeraldMetrics = createMetrics();
