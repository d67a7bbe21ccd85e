import { setImmediate as nextTurn } from 'node:timers/promises';
import { EventOutbox, RELAY_BATCH } from './event-outbox';
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
  const outboxWith = (queue: RecordingQueue) =>
    new EventOutbox({} as EventRepository, queue as unknown as TenantWebhookQueue, {} as TransactionRunner);
  const relayedIds = (queue: RecordingQueue) =>
    queue.handOffs.flat().flatMap((job) => (job.data as { eventIds: string[] }).eventIds);

  it('hands the events of one turn to the queue as one job, after that turn', async () => {
    const queue = new RecordingQueue();
    const outbox = outboxWith(queue);
    outbox.relay(['a']);
    outbox.relay(['b', 'c']);
    expect(queue.handOffs).toHaveLength(0);
    await nextTurn();
    expect(queue.handOffs).toEqual([
      [{ name: 'relay', data: { eventIds: ['a', 'b', 'c'] }, jobId: 'relay:a' }],
    ]);
    outbox.relay(['d']);
    await nextTurn();
    expect(relayedIds(queue)).toEqual(['a', 'b', 'c', 'd']);
  });

  it(`splits a turn's events into jobs of at most ${RELAY_BATCH}`, async () => {
    const queue = new RecordingQueue();
    const ids = Array.from({ length: RELAY_BATCH * 2 + 1 }, (_, i) => `e${i}`);
    outboxWith(queue).relay(ids);
    await nextTurn();
    expect(queue.handOffs.map((jobs) => (jobs[0].data as { eventIds: string[] }).eventIds.length)).toEqual([
      RELAY_BATCH,
      RELAY_BATCH,
      1,
    ]);
    expect(relayedIds(queue)).toEqual(ids);
  });

  it('hands over what is pending when the application shuts down, without waiting for the turn', () => {
    const queue = new RecordingQueue();
    const outbox = outboxWith(queue);
    outbox.relay(['a']);
    outbox.beforeApplicationShutdown();
    expect(relayedIds(queue)).toEqual(['a']);
  });
});
