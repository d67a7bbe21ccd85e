import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { RefundStatus } from './entities/refund.entity';
import { KnownRefund, planRefundSync, RefundChange, StripeRefundState } from './refund-sync.plan';

/** A Stripe refund as a list shows it, with defaults. */
function listed(overrides: Partial<StripeRefundState> & Pick<StripeRefundState, 'id'>): StripeRefundState {
  return {
    amount: 100,
    currency: 'usd',
    status: 'succeeded',
    failureReason: null,
    reason: null,
    ourRefundId: null,
    ...overrides,
  };
}

function row(overrides: Partial<KnownRefund> = {}): KnownRefund {
  return {
    id: randomUUID(),
    source: 'api',
    amount: 100,
    status: 'pending',
    failureReason: null,
    stripeRefundId: null,
    ...overrides,
  };
}

/** The rows a plan leaves behind, as the repository would write them. */
function applied(rows: KnownRefund[], changes: RefundChange[]): KnownRefund[] {
  const next = rows.map((known) => ({ ...known }));
  for (const change of changes) {
    const { stripe } = change;
    const fields = { stripeRefundId: stripe.id, status: stripe.status, failureReason: stripe.failureReason };
    if (change.kind === 'record') next.push(row({ ...fields, source: 'outside', amount: stripe.amount }));
    else Object.assign(next.find((known) => known.id === change.refundId) ?? {}, fields);
  }
  return next;
}

describe(planRefundSync.name, () => {
  it('records a refund made outside the API and counts it', () => {
    const plan = planRefundSync([], [listed({ id: 're_1', amount: 300 })]);
    expect(plan).toEqual({
      changes: [{ kind: 'record', stripe: listed({ id: 're_1', amount: 300 }) }],
      amountRefunded: 300,
    });
  });

  it('links our API refund by the id in its metadata, whatever our row says', () => {
    const released = row({ status: 'failed', amount: 400 });
    const plan = planRefundSync([released], [listed({ id: 're_1', amount: 400, ourRefundId: released.id })]);
    expect(plan.changes).toEqual([
      {
        kind: 'link',
        refundId: released.id,
        from: 'failed',
        stripe: expect.objectContaining({ id: 're_1' }),
      },
    ]);
    expect(plan.amountRefunded).toBe(400);
  });

  it('never counts a reservation Stripe has not shown us', () => {
    expect(planRefundSync([row({ amount: 500 })], []).amountRefunded).toBe(0);
  });

  it('adopts an outside refund recorded before refunds kept their Stripe id, instead of counting it twice', () => {
    const legacy = row({ source: 'outside', status: 'succeeded', amount: 250 });
    const plan = planRefundSync([legacy], [listed({ id: 're_1', amount: 250, status: 'failed' })]);
    expect(plan.changes).toMatchObject([{ kind: 'link', refundId: legacy.id }]);
    expect(plan.amountRefunded).toBe(0);
  });

  it.each([
    ['pending', 'succeeded', true],
    ['requires_action', 'pending', true],
    ['succeeded', 'failed', true],
    ['pending', 'canceled', true],
    ['succeeded', 'pending', false],
    ['failed', 'succeeded', false],
    ['canceled', 'failed', false],
  ] as Array<[RefundStatus, RefundStatus, boolean]>)(
    'moves a linked refund from %s to %s: %s',
    (from, to, moves) => {
      const known = row({ status: from, stripeRefundId: 're_1' });
      const plan = planRefundSync([known], [listed({ id: 're_1', status: to })]);
      expect(plan.changes).toHaveLength(moves ? 1 : 0);
    },
  );

  /**
   * Stripe's history of a payment's refunds as a series of lists: each step creates a refund
   * (ours or not) or moves one forward. Any subset of those lists, read in any order, duplicates
   * included, ends where the newest list says, once the newest has been applied.
   */
  it('converges on the newest list whatever order the reads are applied in', () => {
    const NEXT: Partial<Record<RefundStatus, RefundStatus[]>> = {
      requires_action: ['pending', 'succeeded', 'canceled'],
      pending: ['succeeded', 'failed', 'canceled'],
      succeeded: ['failed'],
    };
    const history = fc
      .array(
        fc.tuple(
          fc.nat(),
          fc.nat(),
          fc.boolean(),
          fc.constantFrom<RefundStatus>('pending', 'succeeded', 'requires_action'),
        ),
        {
          minLength: 1,
          maxLength: 12,
        },
      )
      .map((steps) => {
        const ours = Array.from({ length: 3 }, () => row({ amount: 10 }));
        const lists: StripeRefundState[][] = [];
        let current: StripeRefundState[] = [];
        steps.forEach(([pick, move, create, initial], index) => {
          const movable = current.filter((refund) => NEXT[refund.status]);
          if (create || movable.length === 0) {
            const mine = ours[index % ours.length];
            const isOurs = pick % 2 === 0 && !current.some((refund) => refund.ourRefundId === mine.id);
            current = [
              ...current,
              listed({
                id: `re_${index}`,
                amount: 10,
                status: initial,
                ourRefundId: isOurs ? mine.id : null,
              }),
            ];
          } else {
            const target = movable[pick % movable.length];
            const options = NEXT[target.status] ?? [];
            const status = options[move % options.length];
            current = current.map((refund) =>
              refund.id === target.id
                ? { ...refund, status, failureReason: status === 'failed' ? 'declined' : null }
                : refund,
            );
          }
          lists.push(current);
        });
        return { ours, lists };
      });
    fc.assert(
      fc.property(
        history.chain(({ ours, lists }) =>
          fc
            .shuffledSubarray(lists.slice(0, -1).concat(lists.slice(0, -1)))
            .chain((earlier) =>
              fc.shuffledSubarray([...earlier, lists[lists.length - 1]], { minLength: earlier.length + 1 }),
            )
            .map((reads) => ({ ours, reads, newest: lists[lists.length - 1] })),
        ),
        ({ ours, reads, newest }) => {
          let rows: KnownRefund[] = ours;
          for (const read of reads) rows = applied(rows, planRefundSync(rows, read).changes);
          const byStripeId = new Map(
            rows.filter((known) => known.stripeRefundId).map((known) => [known.stripeRefundId, known]),
          );
          expect(byStripeId.size).toBe(newest.length);
          for (const refund of newest) expect(byStripeId.get(refund.id)?.status).toBe(refund.status);
          const counted = newest
            .filter((refund) => ['pending', 'requires_action', 'succeeded'].includes(refund.status))
            .reduce((sum, refund) => sum + refund.amount, 0);
          expect(planRefundSync(rows, []).amountRefunded).toBe(counted);
        },
      ),
      { numRuns: 500 },
    );
  });
});
