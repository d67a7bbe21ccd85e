import { parseFaultSpec } from './fault-injector';
import {
  REFUND_FAILURE_REASONS,
  REFUND_INITIAL_STATUSES,
  REFUND_REASONS,
  REFUND_STATUSES,
} from './refund-vocabulary';
import { Router, type PathParams } from './router';
import type {
  DashboardRefundInput,
  DeliverOptions,
  EmulatorState,
  FaultMatch,
  FaultSpec,
  PaymentIntent,
  Refund,
  RefundFailureReason,
  RefundInitialStatus,
  RefundStatus,
  SettleOutcome,
  StripeEvent,
  WebhookTarget,
} from './stripe-emulator.types';

export interface ControlRequest {
  body: Record<string, unknown>;
  path: PathParams;
}

export interface ControlResponse {
  status: number;
  body: unknown;
}

export type ControlHandler = (request: ControlRequest) => ControlResponse | Promise<ControlResponse>;

/** A bad control request; answered with 400 and the message. */
export class ControlError extends Error {}

function ok(body: unknown = { ok: true }): ControlResponse {
  return { status: 200, body };
}

function stringField(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (typeof value !== 'string' || value === '') throw new ControlError(`${name} must be a non-empty string`);
  return value;
}

function optionalField<T extends 'boolean' | 'number' | 'string'>(
  body: Record<string, unknown>,
  name: string,
  type: T,
): (T extends 'boolean' ? boolean : T extends 'number' ? number : string) | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== type) throw new ControlError(`${name} must be a ${type}`);
  return value as T extends 'boolean' ? boolean : T extends 'number' ? number : string;
}

function webhookTarget(body: Record<string, unknown>): WebhookTarget {
  return { url: stringField(body, 'url'), secret: stringField(body, 'secret') };
}

function optionalEnumField<T extends string>(
  body: Record<string, unknown>,
  name: string,
  allowed: readonly T[],
): T | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  const match = allowed.find((candidate) => candidate === value);
  if (match === undefined) throw new ControlError(`${name} must be one of ${allowed.join(', ')}`);
  return match;
}

function enumField<T extends string>(body: Record<string, unknown>, name: string, allowed: readonly T[]): T {
  const value = optionalEnumField(body, name, allowed);
  if (value === undefined) throw new ControlError(`${name} must be one of ${allowed.join(', ')}`);
  return value;
}

const SETTLE_OUTCOMES: readonly SettleOutcome[] = ['succeeded', 'failed'];

function dashboardRefund(body: Record<string, unknown>): DashboardRefundInput {
  return {
    paymentIntent: stringField(body, 'payment_intent'),
    amount: optionalField(body, 'amount', 'number'),
    reason: optionalEnumField(body, 'reason', REFUND_REASONS),
    status: optionalEnumField(body, 'status', REFUND_INITIAL_STATUSES),
  };
}

function deliverOptions(body: Record<string, unknown>): DeliverOptions {
  return {
    times: optionalField(body, 'times', 'number'),
    concurrent: optionalField(body, 'concurrent', 'boolean'),
    timestamp: optionalField(body, 'timestamp', 'number'),
    secret: optionalField(body, 'secret', 'string'),
  };
}

function callMatch(body: Record<string, unknown>): FaultMatch {
  return { method: optionalField(body, 'method', 'string'), path: optionalField(body, 'path', 'string') };
}

function faultSpecs(body: unknown): unknown[] {
  if (body !== null && typeof body === 'object' && 'faults' in body && Array.isArray(body.faults)) {
    return body.faults;
  }
  return [body];
}

/** What the control surface drives; the emulator implements it, so this file never imports the emulator. */
export interface EmulatorControls {
  state(): EmulatorState;
  reset(): void;
  activeFaults(): FaultSpec[];
  injectFault(spec: FaultSpec): void;
  clearFaults(): void;
  setWebhookTarget(target: WebhookTarget | null, options?: { autoDeliver?: boolean }): void;
  webhooksIdle(): Promise<void>;
  settlePaymentIntent(id: string, outcome: SettleOutcome): PaymentIntent;
  setRefundInitialStatus(status: RefundInitialStatus): void;
  createDashboardRefund(input: DashboardRefundInput): Refund;
  updateRefundStatus(id: string, status: RefundStatus, failureReason?: RefundFailureReason): Refund;
  events(): StripeEvent[];
  deliver(event: StripeEvent, options?: DeliverOptions): Promise<number[]>;
  forgetIdempotencyKeys(): number;
  requestsInFlight(match?: FaultMatch): number;
  whenRequestsInFlight(count: number, timeoutMs?: number, match?: FaultMatch): Promise<void>;
}

/**
 * The `/_emulator` surface, for a standalone emulator driven by another process. JSON in, JSON out;
 * no authentication, as it only ever listens on loopback.
 */
export function controlRoutes(emulator: EmulatorControls): Router<ControlHandler> {
  const setWebhook: ControlHandler = ({ body }) => {
    emulator.setWebhookTarget(webhookTarget(body), {
      autoDeliver: optionalField(body, 'autoDeliver', 'boolean'),
    });
    return ok();
  };
  return new Router<ControlHandler>()
    .on('GET', '/_emulator/state', () => ok(emulator.state()))
    .on('POST', '/_emulator/reset', () => {
      emulator.reset();
      return ok();
    })
    .on('GET', '/_emulator/faults', () => ok({ faults: emulator.activeFaults() }))
    .on('POST', '/_emulator/faults', ({ body }) => {
      const specs = faultSpecs(body).map((spec) => {
        try {
          return parseFaultSpec(spec);
        } catch (error) {
          throw new ControlError(error instanceof Error ? error.message : String(error));
        }
      });
      specs.forEach((spec) => emulator.injectFault(spec));
      return { status: 201, body: { faults: emulator.activeFaults() } };
    })
    .on('DELETE', '/_emulator/faults', () => {
      emulator.clearFaults();
      return ok();
    })
    .on('PUT', '/_emulator/webhook', setWebhook)
    .on('POST', '/_emulator/webhook', setWebhook)
    .on('DELETE', '/_emulator/webhook', () => {
      emulator.setWebhookTarget(null);
      return ok();
    })
    .on('POST', '/_emulator/webhook/idle', async () => {
      await emulator.webhooksIdle();
      return ok();
    })
    .on('POST', '/_emulator/idempotency/forget', () => ok({ forgotten: emulator.forgetIdempotencyKeys() }))
    .on('POST', '/_emulator/requests-in-flight/wait', async ({ body }) => {
      const count = optionalField(body, 'count', 'number') ?? 1;
      const match = callMatch(body);
      try {
        await emulator.whenRequestsInFlight(count, optionalField(body, 'timeoutMs', 'number'), match);
      } catch (error) {
        return {
          status: 408,
          body: { error: { message: error instanceof Error ? error.message : String(error) } },
        };
      }
      return ok({ requestsInFlight: emulator.requestsInFlight(match) });
    })
    .on('POST', '/_emulator/payment_intents/:id/settle', ({ path, body }) =>
      ok(emulator.settlePaymentIntent(path.id, enumField(body, 'outcome', SETTLE_OUTCOMES))),
    )
    .on('PUT', '/_emulator/refunds/initial-status', ({ body }) => {
      const status = enumField(body, 'status', REFUND_INITIAL_STATUSES);
      emulator.setRefundInitialStatus(status);
      return ok({ status });
    })
    .on('POST', '/_emulator/refunds', ({ body }) => ok(emulator.createDashboardRefund(dashboardRefund(body))))
    .on('POST', '/_emulator/refunds/:id/status', ({ path, body }) =>
      ok(
        emulator.updateRefundStatus(
          path.id,
          enumField(body, 'status', REFUND_STATUSES),
          optionalEnumField(body, 'failure_reason', REFUND_FAILURE_REASONS),
        ),
      ),
    )
    .on('POST', '/_emulator/events/:id/deliver', async ({ path, body }) => {
      const event = emulator.events().find((candidate) => candidate.id === path.id);
      if (!event) return { status: 404, body: { error: { message: `No such event: '${path.id}'` } } };
      return ok({ statuses: await emulator.deliver(event, deliverOptions(body)) });
    });
}
