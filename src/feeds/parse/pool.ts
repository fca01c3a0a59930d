// Parsing off the main thread. Feed bodies, discovery pages and OPML documents are untrusted: each is parsed in a
// worker thread (piscina) with a time limit and a heap limit, so no body can stall the event loop or take the process
// down with it. A job past its time limit is aborted (piscina terminates its worker and starts a fresh one); a worker
// that runs out of memory or dies fails only its own job. Either way the caller gets a typed parse failure with a
// message for the user, never a rejection.
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import type { Logger } from '../../log.js';
import { silentLogger } from '../../log.js';
import { DEFAULT_MAX_FEED_BYTES } from '../fetch/bytes.js';
import type { ArticleExtract } from '../article/extract.js';
import type { DiscoveredFeed } from './discover.js';
import type { OpmlParseResult } from './opml.js';
import { fromWire, newStartedCell, runParseJob, startedAt, type ParseJob, type ParseJobResult, type ParseTask } from './jobs.js';
import { FeedParseError, type FeedParseErrorCode, type ParseOptions, type ParseResult } from './feed.js';

export type DiscoverResult = { ok: true; feeds: DiscoveredFeed[] } | { ok: false; error: FeedParseError };
export type ArticleResult = ({ ok: true } & ArticleExtract) | { ok: false; reason: string };

/** An article page's bytes → its lead text and share image (src/feeds/article/extract.ts). Never rejects. */
export type ArticleExtractor = (body: Uint8Array, opts: { contentType: string | null; url: string; maxChars: number }) => Promise<ArticleResult>;

/** Everything Herald parses from the network or from members. ParsePool runs it in workers; inThreadParsers here. */
export interface Parsers {
  /** Feed bytes → items. Never rejects. */
  parse(body: Uint8Array, opts: ParseOptions): Promise<ParseResult>;
  /** The feed links an HTML page advertises. Never rejects. */
  discover(body: Uint8Array, pageUrl: string): Promise<DiscoverResult>;
  /** An OPML subscription list. Never rejects. */
  opml(body: Uint8Array): Promise<OpmlParseResult>;
}

export interface ParsePoolOptions {
  /** Worker threads. Default: 1 on a 2-core machine, 2 with more cores. */
  threads?: number;
  /** A job running longer is aborted and its worker replaced. Default 20 s. */
  timeLimitMs?: number;
  /** An article page's extraction gets less: it only improves an alert, and shares the workers with feeds. Default 10 s. */
  articleTimeLimitMs?: number;
  /** Old-generation heap of each worker (MB); past it the worker dies and only its job fails. Default 512. */
  maxHeapMb?: number;
  /** The byte cap on a decompressed body (MAX_FEED_BYTES). Default 5 MiB. */
  maxBytes?: number;
  /** Jobs waiting for a free worker beyond this are refused at once. Default 1000. */
  maxWaiting?: number;
  log?: Logger;
  /** The worker module (a test seam: fixtures that hang, crash or exhaust memory). Default worker.{ts,js}. */
  workerFile?: URL;
}

const DEFAULT_PARSE_TIME_LIMIT_MS = 20_000;
const DEFAULT_ARTICLE_TIME_LIMIT_MS = 10_000;
const DEFAULT_PARSE_HEAP_MB = 512;
/** A job whose worker has not started it after this long (a worker that cannot boot) fails as a crash. */
const WORKER_BOOT_LIMIT_MS = 60_000;

type Failure = 'timeout' | 'too-large' | 'crashed' | 'busy' | 'closed';

/** What the user is told, per kind of document and failure. */
function failureMessage(failure: Failure, what: string): string {
  switch (failure) {
    case 'timeout':
      return `${what} took too long to read`;
    case 'too-large':
      return `${what} is too large or complex to read`;
    case 'crashed':
      return `${what} could not be read (the parser stopped unexpectedly); Herald will try again later`;
    case 'busy':
      return `Herald is busy reading other feeds; ${what} will be read on a later try`;
    case 'closed':
      return `Herald is stopping; ${what} was not read`;
  }
}

const FAILURE_CODES: Record<Failure, FeedParseErrorCode> = { timeout: 'timeout', 'too-large': 'too-large', crashed: 'crashed', busy: 'crashed', closed: 'crashed' };

/** The worker file next to this module: .ts when running from source (tsx, vitest), .js when compiled (dist/). */
function defaultWorker(): { file: URL; execArgv: string[] | undefined } {
  const fromSource = import.meta.url.endsWith('.ts');
  const file = new URL(fromSource ? './worker.ts' : './worker.js', import.meta.url);
  if (!fromSource) return { file, execArgv: undefined }; // plain node: the worker inherits this process's flags
  // Worker threads don't get vitest's transform, and execArgv replaces (not extends) what they inherit: load tsx.
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return { file, execArgv: ['--import', tsx] };
}

function defaultParseThreads(): number {
  return Math.min(2, Math.max(1, availableParallelism() - 1));
}

/**
 * A small pool of parse workers. Jobs wait here (not in piscina) until a worker is free, so a job's time limit counts
 * its own run, not its wait behind others.
 */
export class ParsePool implements Parsers {
  private readonly piscina: Piscina<ParseTask, ParseJobResult>;
  private readonly threads: number;
  private readonly timeLimitMs: number;
  private readonly articleTimeLimitMs: number;
  private readonly maxBytes: number;
  private readonly maxWaiting: number;
  private readonly log: Logger;
  private running = 0;
  /** Jobs waiting for a worker; resolved with true when handed a slot, false when the pool closes. */
  private readonly waiting: Array<(granted: boolean) => void> = [];
  private closed = false;

  constructor(options: ParsePoolOptions = {}) {
    this.threads = Math.max(1, Math.floor(options.threads ?? defaultParseThreads()));
    this.timeLimitMs = Math.max(1, options.timeLimitMs ?? DEFAULT_PARSE_TIME_LIMIT_MS);
    this.articleTimeLimitMs = Math.max(1, Math.min(this.timeLimitMs, options.articleTimeLimitMs ?? DEFAULT_ARTICLE_TIME_LIMIT_MS));
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_FEED_BYTES;
    this.maxWaiting = Math.max(0, options.maxWaiting ?? 1000);
    this.log = options.log ?? silentLogger;
    const worker = options.workerFile ? { file: options.workerFile, execArgv: options.workerFile.pathname.endsWith('.ts') ? defaultWorker().execArgv : undefined } : defaultWorker();
    this.piscina = new Piscina<ParseTask, ParseJobResult>({
      filename: worker.file.href,
      ...(worker.execArgv ? { execArgv: worker.execArgv } : {}),
      minThreads: this.threads,
      maxThreads: this.threads,
      concurrentTasksPerWorker: 1,
      idleTimeout: 60_000,
      resourceLimits: { maxOldGenerationSizeMb: Math.max(16, options.maxHeapMb ?? DEFAULT_PARSE_HEAP_MB) },
    });
    // piscina reports a worker that dies between jobs as an 'error' event; unhandled, that would end the process.
    this.piscina.on('error', (error: unknown) => {
      this.log.warn({ event: 'parse.worker_error', error: String(error) }, 'a parse worker died between jobs; it is replaced');
    });
  }

  readonly parse = async (body: Uint8Array, opts: ParseOptions): Promise<ParseResult> => {
    const job: ParseJob = { kind: 'feed', body: copyOf(body), contentType: opts.contentType ?? null, url: opts.url ?? null, maxBytes: opts.maxBytes ?? this.maxBytes };
    const out = await this.run(job, opts.url ?? null);
    if (out.kind === 'failure') return { ok: false, error: new FeedParseError(FAILURE_CODES[out.failure], failureMessage(out.failure, 'the feed')) };
    if (out.result.kind !== 'feed') throw new Error('parse worker answered the wrong job');
    return fromWire(out.result.result);
  };

  readonly discover = async (body: Uint8Array, pageUrl: string): Promise<DiscoverResult> => {
    const out = await this.run({ kind: 'discover', body: copyOf(body), url: pageUrl }, pageUrl);
    if (out.kind === 'failure') return { ok: false, error: new FeedParseError(FAILURE_CODES[out.failure], failureMessage(out.failure, 'the page')) };
    if (out.result.kind !== 'discover') throw new Error('parse worker answered the wrong job');
    return { ok: true, feeds: out.result.feeds };
  };

  readonly article: ArticleExtractor = async (body, opts) => {
    const out = await this.run({ kind: 'article', body: copyOf(body), contentType: opts.contentType, url: opts.url, maxChars: opts.maxChars }, opts.url, this.articleTimeLimitMs);
    if (out.kind === 'failure') return { ok: false, reason: failureMessage(out.failure, 'the article page') };
    if (out.result.kind !== 'article') throw new Error('parse worker answered the wrong job');
    return { ok: true, ...out.result.result };
  };

  readonly opml = async (body: Uint8Array): Promise<OpmlParseResult> => {
    const out = await this.run({ kind: 'opml', body: copyOf(body) }, null);
    if (out.kind === 'failure') return { ok: false, reason: failureMessage(out.failure, 'the OPML file') };
    if (out.result.kind !== 'opml') throw new Error('parse worker answered the wrong job');
    return out.result.result;
  };

  /** Refuses new jobs, fails the waiting ones, and ends the workers (a job under way is cut short). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const wake of this.waiting.splice(0)) wake(false);
    await this.piscina.destroy();
  }

  private async run(job: ParseJob, url: string | null, timeLimitMs = this.timeLimitMs): Promise<{ kind: 'ok'; result: ParseJobResult } | { kind: 'failure'; failure: Failure }> {
    if (this.closed) return { kind: 'failure', failure: 'closed' };
    if (this.running < this.threads) this.running++;
    else {
      if (this.waiting.length >= this.maxWaiting) return { kind: 'failure', failure: 'busy' };
      // A finishing job hands its slot over directly (running stays the same), so no newcomer can jump the queue.
      const granted = await new Promise<boolean>((resolve) => this.waiting.push(resolve));
      if (!granted) return { kind: 'failure', failure: 'closed' };
    }
    const timer = new AbortController();
    const started = newStartedCell();
    // The limit counts from when the worker began the job: a worker still booting (a replacement) is not the job's fault.
    let timeout: NodeJS.Timeout;
    // A worker that never gets going (it can't boot) is bounded too, and reported as a crash, not a slow feed.
    const dispatched = Date.now();
    let neverStarted = false;
    const check = (): void => {
      const since = startedAt(started);
      if (since === null && Date.now() - dispatched >= WORKER_BOOT_LIMIT_MS) {
        neverStarted = true;
        timer.abort();
        return;
      }
      const left = since === null ? timeLimitMs : timeLimitMs - (Date.now() - since);
      if (left <= 0) timer.abort();
      else timeout = setTimeout(check, Math.max(10, left));
    };
    timeout = setTimeout(check, timeLimitMs);
    try {
      const transferList = [job.body.buffer as ArrayBuffer];
      const result = await this.piscina.run({ job, started }, { signal: timer.signal, transferList });
      return { kind: 'ok', result };
    } catch (error) {
      const failure: Failure = this.closed ? 'closed' : neverStarted ? 'crashed' : timer.signal.aborted ? 'timeout' : (error as { code?: unknown }).code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'too-large' : 'crashed';
      this.log.warn({ event: 'parse.job_failed', kind: job.kind, feed: url, failure, bytes: job.body.byteLength, error: String(error) }, 'a parse job failed in its worker');
      return { kind: 'failure', failure };
    } finally {
      clearTimeout(timeout);
      const next = this.waiting.shift();
      if (next) next(true);
      else this.running--;
    }
  }
}

/** A private copy of the bytes, transferred to the worker (the caller's buffer may be a slice of a shared pool). */
function copyOf(body: Uint8Array): Uint8Array {
  return new Uint8Array(body);
}

/** Article extraction in this thread: for unit tests and tools that read trusted input. */
export const inThreadArticleExtractor: ArticleExtractor = async (body, opts) => {
  const out = await runParseJob({ kind: 'article', body, contentType: opts.contentType, url: opts.url, maxChars: opts.maxChars });
  return out.kind === 'article' ? { ok: true, ...out.result } : { ok: false, reason: 'unexpected parse result' };
};

/** The same parsers in this thread: for unit tests and tools that parse trusted input. */
export const inThreadParsers: Parsers = {
  async parse(body, opts) {
    const out = await runParseJob({ kind: 'feed', body, contentType: opts.contentType ?? null, url: opts.url ?? null, ...(opts.maxBytes ? { maxBytes: opts.maxBytes } : {}) });
    return out.kind === 'feed' ? fromWire(out.result) : { ok: false, error: new FeedParseError('crashed', 'unexpected parse result') };
  },
  async discover(body, pageUrl) {
    const out = await runParseJob({ kind: 'discover', body, url: pageUrl });
    return out.kind === 'discover' ? { ok: true, feeds: out.feeds } : { ok: false, error: new FeedParseError('crashed', 'unexpected parse result') };
  },
  async opml(body) {
    const out = await runParseJob({ kind: 'opml', body });
    return out.kind === 'opml' ? out.result : { ok: false, reason: 'unexpected parse result' };
  },
};
