// Polling as BullMQ jobs, for several worker processes on one Redis. Every cron tick, each worker asks for the cycle
// to be planned: one plan job per cycle (its id is the cycle's slot), so one worker plans it however many ask. The
// plan adds one job per feed (its id made of the slot and the feed), spread over the interval; any worker runs a
// job; a job whose worker died is taken over by another once its lock expires (BullMQ's stalled-job check), and a
// plan taken over adds only what is missing.
import { createHash } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import type { Poller, PollOutcome } from '../feeds/poll/poller.js';
import { jitterMs } from '../feeds/poll/scheduler.js';
import { metrics } from '../metrics.js';
import { StoreUnavailableError } from '../store/store.js';
import { queueDrained } from './queue-drained.js';

export const POLL_QUEUE = 'herald-poll';

/** A feed to poll, or a cycle to plan. */
type PollJobData = { url: string } | { plan: string; spreadMs: number };

export interface PollJobsDeps {
  /** A connection factory: BullMQ wants a connection per Queue and Worker (it blocks on the worker's). */
  connect: () => Redis;
  /** Lowercase letters in front of the queue's keys (tests on one Redis). */
  prefix?: string;
  poller: Pick<Poller, 'pollFeed'>;
  feedUrls: () => string[];
  intervalMs: number;
  log: Logger;
  clock: () => Date;
}

export interface PollWorkerOptions {
  concurrency: number;
  /** How long a job stays locked to a worker that stopped answering. */
  lockMs: number;
}

const hash = (url: string) => createHash('sha1').update(url).digest('base64url').slice(0, 20);

/** The cycle a moment belongs to: ticks of the same cron in two processes land on the same slot, give or take skew. */
export function cycleSlot(at: Date, intervalMs: number): number {
  return Math.round(at.getTime() / intervalMs);
}

export class PollJobs {
  readonly queue: Queue<PollJobData>;
  private worker: Worker<PollJobData> | null = null;
  private readonly connections: Redis[] = [];

  constructor(private readonly deps: PollJobsDeps) {
    const connection = this.connection();
    this.queue = new Queue<PollJobData>(POLL_QUEUE, { connection, prefix: queuePrefix(deps.prefix) });
    this.queue.on('error', (error) => deps.log.warn({ event: 'jobs.poll_queue_error', error: error.message }, 'the poll queue lost Redis; retrying'));
  }

  private connection(): Redis {
    const c = this.deps.connect();
    this.connections.push(c);
    return c;
  }

  /** Asks for this cycle to be planned (by whichever worker takes the plan job): one small add per worker and tick. */
  async requestPlan(options: { spreadMs: number }): Promise<void> {
    const slot = String(cycleSlot(this.deps.clock(), this.deps.intervalMs));
    const keepS = Math.ceil((this.deps.intervalMs * 2) / 1000);
    try {
      await this.queue.add('plan', { plan: slot, spreadMs: options.spreadMs }, { jobId: `plan-${slot}`, attempts: 3, backoff: { type: 'fixed', delay: 1_000 }, removeOnComplete: { age: keepS }, removeOnFail: { age: keepS } });
    } catch (error) {
      throw new StoreUnavailableError(`could not queue the poll plan in Redis: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }

  /**
   * Adds this cycle's poll jobs, one per feed, spread over `spreadMs` (each feed at its stable offset). `slot` names
   * the cycle (default: the cycle of now); the same feed and slot is one job however many workers plan it.
   */
  async plan(options: { spreadMs: number; slot?: string }): Promise<number> {
    const urls = [...new Set(this.deps.feedUrls())];
    const slot = options.slot ?? String(cycleSlot(this.deps.clock(), this.deps.intervalMs));
    const keepS = Math.ceil((this.deps.intervalMs * 2) / 1000);
    const jobs = urls.map((url) => ({
      name: 'poll',
      data: { url },
      opts: {
        jobId: `poll-${slot}-${hash(url)}`,
        delay: jitterMs(url, options.spreadMs),
        attempts: 3,
        backoff: { type: 'fixed', delay: Math.min(30_000, Math.max(1_000, this.deps.intervalMs / 4)) },
        // kept for two cycles: a later planner of this slot must find the id taken, even once the job is done
        removeOnComplete: { age: keepS },
        removeOnFail: { age: keepS },
      },
    }));
    for (let i = 0; i < jobs.length; i += 1000) {
      try {
        await this.queue.addBulk(jobs.slice(i, i + 1000));
      } catch (error) {
        throw new StoreUnavailableError(`could not queue poll jobs in Redis: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
    }
    this.deps.log.debug({ event: 'poll.planned', feeds: urls.length, slot }, 'poll jobs queued');
    return urls.length;
  }

  /** Runs poll jobs in this process. */
  startWorker(options: PollWorkerOptions): void {
    const { log } = this.deps;
    const worker = new Worker<PollJobData, PollOutcome | 'planned'>(
      POLL_QUEUE,
      async (job: Job<PollJobData>) => {
        if ('plan' in job.data) {
          await this.plan({ spreadMs: job.data.spreadMs, slot: job.data.plan });
          return 'planned';
        }
        const { outcome, newItems } = await this.deps.poller.pollFeed(job.data.url, { token: job.id ?? undefined });
        metrics.polls.inc({ outcome });
        if (newItems) metrics.items.inc(newItems);
        return outcome;
      },
      {
        connection: this.connection(),
        prefix: queuePrefix(this.deps.prefix),
        concurrency: options.concurrency,
        lockDuration: options.lockMs,
        stalledInterval: Math.max(500, Math.floor(options.lockMs / 2)),
        maxStalledCount: 3,
      },
    );
    worker.on('failed', (job, error) =>
      log.warn({ event: 'poll.job_failed', ...(job && 'url' in job.data ? { feed: job.data.url } : { plan: job && 'plan' in job.data ? job.data.plan : undefined }), attempts: job?.attemptsMade, error: error.message }, 'a poll job failed; BullMQ retries it'),
    );
    worker.on('error', (error) => log.warn({ event: 'jobs.poll_worker_error', error: error.message }, 'the poll worker lost Redis; retrying'));
    this.worker = worker;
  }

  /** Waits until no poll job is waiting, delayed or running (tests, the bench). */
  drained(timeoutMs = 60_000): Promise<void> {
    return queueDrained(this.queue, 'poll jobs', timeoutMs);
  }


  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
    for (const c of this.connections) c.disconnect();
  }
}

/** BullMQ's key prefix: `herald` plus the test prefix, so runs sharing one Redis keep their queues apart. */
export function queuePrefix(prefix: string | undefined): string {
  return `bull${prefix ?? ''}`;
}
