// The HTTP side of metrics: GET /metrics (Prometheus text format, from src/metrics.ts's registry) and GET /healthz
// (200 when Herald can do its job, 503 with the reason otherwise), for Prometheus and process supervisors.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Status, type Client } from 'discord.js';
import type { Logger } from './log.js';
import type { HeraldMetrics } from './metrics.js';
import type { Collection } from './store/store.js';

export type Health = { ok: true } | { ok: false; reason: string };

export interface MetricsServerOptions {
  host: string;
  /** 0: any free port (tests); the bound one is in the result. */
  port: number;
  metrics: HeraldMetrics;
  health: () => Promise<Health>;
  log: Logger;
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/** How long /healthz waits for the store before calling it unhealthy: a supervisor's probe must get an answer. */
export const HEALTH_STORE_TIMEOUT_MS = 3_000;

/** Healthy when the gateway is connected and the store answers a read within HEALTH_STORE_TIMEOUT_MS. */
export async function heraldHealth(client: Pick<Client, 'ws'> | null, meta: Pick<Collection<unknown>, 'get'>): Promise<Health> {
  // a worker (HERALD_ROLE=worker) has no gateway connection: only its store counts
  if (client && client.ws.status !== Status.Ready) return { ok: false, reason: `not connected to the Discord gateway (status ${Status[client.ws.status] ?? client.ws.status})` };
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      meta.get('healthz'),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${HEALTH_STORE_TIMEOUT_MS / 1000} s`)), HEALTH_STORE_TIMEOUT_MS);
      }),
    ]);
  } catch (error) {
    return { ok: false, reason: `the store does not answer: ${error instanceof Error ? error.message : String(error)}` };
  } finally {
    clearTimeout(timer);
  }
  return { ok: true };
}

export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const { metrics, log } = options;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const answer = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return answer(405, 'GET only\n');
    if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => answer(200, text, metrics.registry.contentType),
        (error: unknown) => answer(500, `could not collect metrics: ${String(error)}\n`),
      );
      return;
    }
    if (path === '/healthz') {
      options.health().then(
        (health) => answer(health.ok ? 200 : 503, health.ok ? 'ok\n' : `unhealthy: ${health.reason}\n`),
        (error: unknown) => answer(503, `unhealthy: ${String(error)}\n`),
      );
      return;
    }
    answer(404, 'not found: try /metrics or /healthz\n');
  });
  // a scraper that opens a connection and sends nothing must not hold a socket forever
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ event: 'metrics.listening', host: options.host, port }, `metrics on http://${options.host}:${port}/metrics, health on /healthz`);
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
