import { DataSource } from 'typeorm';
import type { StripeEmulator, StripeEvent } from '../../packages/stripe-emulator/src/index';
import { deliver, waitFor } from './stripe-events';
import type { TestApp } from './test-app';
import type { TestClient } from './test-client';

/** Every event Stripe sends when a payment's refunds change. */
export const REFUND_EVENT_TYPES = [
  'charge.refunded',
  'charge.refund.updated',
  'refund.created',
  'refund.updated',
  'refund.failed',
];

/** Stripe's refund events about one PaymentIntent, oldest first. */
export function refundEventsOf(emulator: StripeEmulator, paymentIntentId: string): StripeEvent[] {
  return emulator
    .events()
    .filter(
      (event) =>
        REFUND_EVENT_TYPES.includes(event.type) &&
        (event.data.object as { payment_intent?: string }).payment_intent === paymentIntentId,
    );
}

/** Delivers events as Stripe would (signed, in the order given) and waits until each is processed. */
export async function deliverAndSettle(
  app: Pick<TestApp, 'http'>,
  db: DataSource,
  events: readonly StripeEvent[],
): Promise<void> {
  for (const event of events) {
    const response = await deliver(app, event);
    if (response.status !== 200) throw new Error(`delivery of ${event.id} answered ${response.status}`);
  }
  const ids = events.map((event) => event.id);
  await waitFor(
    `${ids.length} event(s) processed`,
    async () => {
      const [{ open }] = await db.query<Array<{ open: number }>>(
        `SELECT count(*)::int AS open FROM webhook_inbox
         WHERE event_id = ANY($1) AND status NOT IN ('processed', 'ignored')`,
        [ids],
      );
      return open === 0;
    },
    30000,
  );
}

export interface LedgerView {
  amountRefunded: number;
  status: string;
  refunds: Array<{ stripeRefundId: string | null; amount: number; status: string; source: string }>;
}

/** The payment and its refunds as the API shows them. */
export async function ledgerOf(client: TestClient, paymentId: string): Promise<LedgerView> {
  const payment = await client.get(`/payments/${paymentId}`);
  const refunds = await client.get(`/payments/${paymentId}/refunds`);
  if (payment.status !== 200 || refunds.status !== 200) {
    throw new Error(`reading payment ${paymentId}: ${payment.status} / ${refunds.status}`);
  }
  const body = refunds.body as { data: LedgerView['refunds'] };
  return {
    amountRefunded: payment.body.amountRefunded as number,
    status: payment.body.status as string,
    refunds: body.data.map(({ stripeRefundId, amount, status, source }) => ({
      stripeRefundId,
      amount,
      status,
      source,
    })),
  };
}

/** Stripe's truth for a PaymentIntent, in the ledger's terms: every refund Stripe holds, and what it counts. */
export function truthOf(emulator: StripeEmulator, paymentIntentId: string) {
  const refunds = emulator.refunds().filter((refund) => refund.payment_intent === paymentIntentId);
  const charge = emulator.charges().find((candidate) => candidate.payment_intent === paymentIntentId);
  return {
    amountRefunded: charge?.amount_refunded ?? 0,
    refunds: refunds
      .map((refund) => ({ stripeRefundId: refund.id, amount: refund.amount, status: refund.status }))
      .sort((a, b) => a.stripeRefundId.localeCompare(b.stripeRefundId)),
  };
}

/** The ledger's refunds that stand for Stripe refunds, in `truthOf`'s shape. */
export function linkedRefunds(view: LedgerView) {
  return view.refunds
    .filter((refund) => refund.stripeRefundId !== null)
    .map(({ stripeRefundId, amount, status }) => ({
      stripeRefundId: stripeRefundId as string,
      amount,
      status,
    }))
    .sort((a, b) => a.stripeRefundId.localeCompare(b.stripeRefundId));
}
