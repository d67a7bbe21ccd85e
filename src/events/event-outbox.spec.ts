import { EventOutbox, RELAY_BATCH, RELAY_WINDOW_MS } from './event-outbox';
import type { EventRepository } from './event.repository';
import type { QueuedJob, TenantWebhookQueue } from './tenant-webhook.queue';
import type { TransactionRunner } from '../database/transaction-runner';

/** Records every hand-off instead of talking to Redis. */
class RecordingQueue {
  readonly handOffs: QueuedJob[][] = [];
  handOff(jobs: readonly QueuedJob[]): Promise<boolean> {
    this.handOffs.push([...jobs]);
    return Promise.resolve(true);
  }
}

describe(EventOutbox.name, () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());
  const windowPasses = () => jest.advanceTimersByTime(RELAY_WINDOW_MS);
  const outboxWith = (queue: RecordingQueue) =>
    new EventOutbox({} as EventRepository, queue as unknown as TenantWebhookQueue, {} as TransactionRunner);
  const relayedIds = (queue: RecordingQueue) =>
    queue.handOffs.flat().flatMap((job) => (job.data as { eventIds: string[] }).eventIds);

  it(`hands the events of ${RELAY_WINDOW_MS} ms to the queue as one job, once they have passed`, () => {
    const queue = new RecordingQueue();
    const outbox = outboxWith(queue);
    outbox.relay(['a']);
    outbox.relay(['b', 'c']);
    jest.advanceTimersByTime(RELAY_WINDOW_MS - 1);
    expect(queue.handOffs).toHaveLength(0);
    jest.advanceTimersByTime(1);
    expect(queue.handOffs).toEqual([
      [{ name: 'relay', data: { eventIds: ['a', 'b', 'c'] }, jobId: 'relay:a' }],
    ]);
    outbox.relay(['d']);
    windowPasses();
    expect(relayedIds(queue)).toEqual(['a', 'b', 'c', 'd']);
  });

  it(`splits the events of a window into jobs of at most ${RELAY_BATCH}`, () => {
    const queue = new RecordingQueue();
    const ids = Array.from({ length: RELAY_BATCH * 2 + 1 }, (_, i) => `e${i}`);
    outboxWith(queue).relay(ids);
    windowPasses();
    expect(queue.handOffs.map((jobs) => (jobs[0].data as { eventIds: string[] }).eventIds.length)).toEqual([
      RELAY_BATCH,
      RELAY_BATCH,
      1,
    ]);
    expect(relayedIds(queue)).toEqual(ids);
  });

  it('hands over what is pending when the application shuts down, and what commits later at once', () => {
    const queue = new RecordingQueue();
    const outbox = outboxWith(queue);
    outbox.relay(['a']);
    outbox.beforeApplicationShutdown();
    expect(relayedIds(queue)).toEqual(['a']);
    // Committed while requests drain: handed over at once, while the queue still waits for it.
    outbox.relay(['b']);
    expect(relayedIds(queue)).toEqual(['a', 'b']);
    windowPasses();
    expect(queue.handOffs).toHaveLength(2);
  });
});
