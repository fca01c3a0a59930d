// Delivery as BullMQ jobs, for several worker processes on one Redis. A job is keyed by its outbox key (channel +
// story), so the same alert is never queued twice; the queue's rate limiter (kept in Redis) holds every worker
// together under Discord's bot-wide limit; each channel's alerts wait in a line (a sorted set) and only its head is
// sent, so they keep their order; BullMQ's retries and backoff replace the in-process retry timers, and a job whose
// worker died is taken over by another once its lock expires. A job behind others in its line sleeps (delayed) until
// the one ahead settles and wakes it: waiting jobs must not spend the limiter, which counts every job taken.
import { createHash } from 'node:crypto';
import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AlertSender } from '../alerts/alert-service.js';
import { retryDelayMs } from '../alerts/dispatcher.js';
import { MAX_SEND_ATTEMPTS } from '../alerts/outbox.js';
import type { OutboxEntry } from '../alerts/records.js';
import type { Logger } from '../log.js';
import type { Collection } from '../store/store.js';
import { StoreUnavailableError } from '../store/store.js';
import type { RedisCoordination } from '../store/redis-coordination.js';
import { queuePrefix } from './poll-jobs.js';
import { queueDrained } from './queue-drained.js';

export const DELIVERY_QUEUE = 'herald-deliver';

interface DeliveryJobData {
  key: string;
  channelId: string;
}

export interface DeliveryJobsDeps {
  connect: () => Redis;
  prefix?: string;
  coordination: Pick<RedisCoordination, 'joinChannelLine' | 'placeInChannelLine' | 'leaveChannelLine'>;
  outbox: Collection<OutboxEntry>;
  log: Logger;
}

export interface DeliveryWorkerOptions {
  /** One attempt at sending (AlertService.deliverEntry): the entry to retry, or null when settled. */
  deliver: (entry: OutboxEntry) => Promise<OutboxEntry | null>;
  /** Alerts per second for the whole bot, all workers together. */
  alertsPerSecond: number;
  concurrency: number;
  lockMs: number;
  /** First retry delay after a failed send (doubles, capped at a minute). */
  retryDelayMs?: number;
}

/** The job id of an outbox key: BullMQ ids may not hold ':' and the key holds a link. */
export function deliveryJobId(outboxKey: string): string {
  return `send-${createHash('sha1').update(outboxKey).digest('base64url')}`;
}

/**
 * BullMQ's limiter for `rate` alerts a second, in short windows: with one window of a second, a burst at the end of
 * one window and the start of the next would put twice the rate into one second; with eighths of a second, at most
 * 9/8 of it. Below 8 a second, one alert per 1/rate seconds.
 */
export function limiterFor(rate: number): { max: number; duration: number } {
  const perSecond = Math.max(1, Math.floor(rate));
  if (perSecond < 8) return { max: 1, duration: Math.ceil(1000 / perSecond) };
  return { max: Math.floor(perSecond / 8), duration: 125 };
}

/** Requests an alert costs: the post, and the bot's five rating reactions unless they are turned off. */
export function requestsPerAlert(ratingReactions: boolean): number {
  return ratingReactions ? 6 : 1;
}

/**
 * How long a job behind others in its channel's line sleeps before looking again. The job ahead wakes it when it
 * settles, so this only bounds a missed wake-up; it is long because every look costs a turn of the queue's limiter
 * (a backlog of jobs looking every few seconds took nearly all of it, and the heads waited behind them).
 */
const LINE_WAIT_MS = 120_000;

class SendFailed extends Error {
  override name = 'SendFailed';
}

export class DeliveryJobs implements AlertSender {
  readonly queue: Queue<DeliveryJobData>;
  private worker: Worker<DeliveryJobData> | null = null;
  /** How long a waker watches a running job that may be about to sleep (its lock, and the stall check after it). */
  private watchMs = 60_000;
  private readonly connections: Redis[] = [];

  constructor(private readonly deps: DeliveryJobsDeps) {
    this.queue = new Queue<DeliveryJobData>(DELIVERY_QUEUE, { connection: this.connection(), prefix: queuePrefix(deps.prefix) });
    this.queue.on('error', (error) => deps.log.warn({ event: 'jobs.delivery_queue_error', error: error.message }, 'the delivery queue lost Redis; retrying'));
  }

  private connection(): Redis {
    const c = this.deps.connect();
    this.connections.push(c);
    return c;
  }

  /** Queues the sending of an outbox entry; a second call for the same entry while it waits adds nothing. */
  async send(entry: OutboxEntry): Promise<void> {
    try {
      await this.deps.coordination.joinChannelLine(entry.channelId, entry.key);
      // behind others in its line: it sleeps until the one ahead settles and wakes it
      const { place } = await this.deps.coordination.placeInChannelLine(entry.channelId, entry.key);
      const job = await this.queue.add(
        'send',
        { key: entry.key, channelId: entry.channelId },
        {
          jobId: deliveryJobId(entry.key),
          // the entry itself counts its send attempts and drops itself after MAX_SEND_ATTEMPTS; these cover the store
          attempts: MAX_SEND_ATTEMPTS + 4,
          backoff: { type: 'herald' },
          // gone once settled: the outbox decides what is still to send, and a later drain may queue it again
          removeOnComplete: true,
          removeOnFail: true,
          ...(place ? { delay: LINE_WAIT_MS } : {}),
        },
      );
      // the one ahead settled before this job existed: no one woke it
      if (place) await this.wakeIfHead(job, entry.channelId, entry.key);
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw error;
      throw new StoreUnavailableError(`could not queue an alert in Redis: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }

  /**
   * Queues an entry already in the outbox unless its job exists. A poll retried after its worker died finds the entry
   * queued and calls this: that worker may have died between writing the entry and adding its job.
   */
  async ensureQueued(entry: OutboxEntry): Promise<void> {
    try {
      if (await this.queue.getJob(deliveryJobId(entry.key))) return;
      const current = await this.deps.outbox.get(entry.key);
      if (current) await this.send(current);
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw error;
      throw new StoreUnavailableError(`could not queue an alert in Redis: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }

  startWorker(options: DeliveryWorkerOptions): void {
    const { log, outbox, coordination } = this.deps;
    const stalledInterval = Math.max(500, Math.floor(options.lockMs / 2));
    this.watchMs = options.lockMs + stalledInterval + 1_000;
    const worker = new Worker<DeliveryJobData, string>(
      DELIVERY_QUEUE,
      async (job: Job<DeliveryJobData>, token?: string) => {
        const { key, channelId } = job.data;
        const entry = await outbox.get(key);
        if (!entry) {
          await coordination.leaveChannelLine(channelId, key);
          await this.wakeHead(channelId, key);
          return 'gone';
        }
        // Only the head of the channel's line is sent; a head whose entry is gone (settled elsewhere) leaves it.
        for (let look = 0; ; look++) {
          const { place, head } = await coordination.placeInChannelLine(channelId, key);
          if (place === null) {
            await coordination.joinChannelLine(channelId, key);
            continue;
          }
          if (place === 0) break;
          if (head && look < 3 && !(await outbox.get(head))) {
            await coordination.leaveChannelLine(channelId, head);
            await this.wakeHead(channelId, key);
            continue;
          }
          await job.moveToDelayed(Date.now() + LINE_WAIT_MS, token);
          // the one ahead settled while this looked (it found this job running, not asleep): no one woke it
          await this.wakeIfHead(job, channelId, key);
          throw new DelayedError();
        }
        const retry = await options.deliver(entry);
        if (retry) {
          // Out of the line while it waits for its retry, as in one process: one flaky send does not hold up the
          // channel's news; the retry joins the line again at its end.
          await coordination.leaveChannelLine(channelId, key);
          await this.wakeHead(channelId, key);
          throw new SendFailed(`send attempt ${retry.attempts} failed; retried`);
        }
        await coordination.leaveChannelLine(channelId, key);
        await this.wakeHead(channelId, key);
        return 'settled';
      },
      {
        connection: this.connection(),
        prefix: queuePrefix(this.deps.prefix),
        concurrency: options.concurrency,
        lockDuration: options.lockMs,
        stalledInterval,
        maxStalledCount: 5,
        // One limiter in Redis for the queue: every worker together stays under Discord's bot-wide limit.
        limiter: limiterFor(options.alertsPerSecond),
        settings: { backoffStrategy: (attemptsMade: number) => retryDelayMs(options.retryDelayMs ?? 30_000, attemptsMade) },
      },
    );
    worker.on('failed', (job, error) => {
      if (error instanceof DelayedError || error.name === 'DelayedError') return;
      const where = { channel: job?.data.channelId, outbox: job?.data.key, attempts: job?.attemptsMade };
      if (error instanceof SendFailed) log.debug({ event: 'alert.job_retry', ...where }, error.message);
      else log.warn({ event: 'alert.job_failed', ...where, error: error.message }, 'an alert job failed; BullMQ retries it (the alert stays in the outbox)');
    });
    worker.on('error', (error) => log.warn({ event: 'jobs.delivery_worker_error', error: error.message }, 'the delivery worker lost Redis; retrying'));
    this.worker = worker;
  }

  /**
   * Wakes the job at the head of a channel's line if it sleeps (`self`: the caller's key, not woken), or queues it
   * again when its job is gone (all its retries spent while the store was down) and its alert still waits.
   */
  private async wakeHead(channelId: string, self: string): Promise<void> {
    try {
      const { head } = await this.deps.coordination.placeInChannelLine(channelId, self);
      if (!head || head === self) return;
      const job = await this.queue.getJob(deliveryJobId(head));
      if (job) {
        await this.wakeWhenAsleep(job);
        return;
      }
      const entry = await this.deps.outbox.get(head);
      if (entry) await this.send(entry);
      else await this.deps.coordination.leaveChannelLine(channelId, head);
    } catch (error) {
      // Redis hiccuped: the sleeping job still wakes by its own timer, and workers queue the outbox again now and then
      this.deps.log.warn({ event: 'alert.wake_failed', channel: channelId, error: error instanceof Error ? error.message : String(error) }, 'could not wake the next alert of a channel');
    }
  }

  /**
   * Wakes a job that sleeps, or that is running and about to sleep. A running job that found itself behind moves to
   * sleep and then looks at its line again, so it wakes itself if the one ahead left meanwhile; a worker that dies
   * between the two would leave it asleep for LINE_WAIT_MS. So while it runs this watches it: until it sleeps (then
   * it is woken), settles, or is taken back by the stall check when its worker died (then it waits, awake).
   */
  private async wakeWhenAsleep(job: Job<DeliveryJobData>): Promise<void> {
    const until = Date.now() + this.watchMs;
    for (let look = 0; ; look++) {
      const state = await job.getState();
      if (state === 'delayed') {
        await job.promote().catch(() => undefined); // taken meanwhile: awake
        return;
      }
      if (state !== 'active' || Date.now() > until) return;
      await new Promise((r) => setTimeout(r, Math.min(1_000, 25 * 2 ** look)));
    }
  }

  /** Wakes a sleeping job that has become the head of its line. */
  private async wakeIfHead(job: Job<DeliveryJobData>, channelId: string, key: string): Promise<void> {
    if ((await this.deps.coordination.placeInChannelLine(channelId, key)).place !== 0) return;
    await job.promote().catch(() => undefined); // not asleep (already woken, or running): nothing to do
  }

  /** Jobs this process queued run elsewhere: there is nothing in flight here to wait for. */
  async idle(): Promise<void> {}

  /** Waits until no delivery job is waiting, delayed or running (tests, the bench). */
  drained(timeoutMs = 60_000): Promise<void> {
    return queueDrained(this.queue, 'delivery jobs', timeoutMs);
  }


  close(): void {
    // closed asynchronously by closeAll (AlertSender.close is synchronous)
  }

  async closeAll(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
    for (const c of this.connections) c.disconnect();
  }
}
