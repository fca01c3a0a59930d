import type { Queue } from 'bullmq';

/** Resolves once a queue has no job waiting, delayed or running (tests and the bench wait on it); bounded in time. */
export async function queueDrained(queue: Queue, what: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const counts = await queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
    if (Object.values(counts).every((n) => n === 0)) return;
    if (Date.now() > until) throw new Error(`${what} not done after ${timeoutMs} ms: ${JSON.stringify(counts)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
