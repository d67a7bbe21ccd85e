/** The shapes `WebhookDeliveryRepository` reads and writes `webhook_deliveries` in. */
export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One attempt, as `attempt_log` keeps it; attempt 0 is a delivery settled without one (its endpoint disabled). */
export interface DeliveryAttempt {
  attempt: number;
  /** ISO 8601, by the database clock. */
  at: string;
  statusCode: number | null;
  durationMs: number | null;
  error: string | null;
  /** When the next attempt is due; null when none follows. */
  nextAttemptAt: string | null;
}

/** How many attempts `attempt_log` keeps: the latest, so a row's size stays bounded. */
export const ATTEMPT_LOG_KEPT = 20;

export interface WebhookDelivery {
  id: string;
  eventId: string;
  eventType: string;
  endpointId: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date | null;
  deliveredAt: Date | null;
  createdAt: Date;
  attemptLog: DeliveryAttempt[];
}

/** A delivery to create for an event relayed to an endpoint. */
export interface NewDelivery {
  id: string;
  tenantId: string;
  eventId: string;
  endpointId: string;
  eventType: string;
  eventCreatedAt: Date;
  /** Settled at once, without an attempt, for an endpoint that is disabled. */
  endpointDisabled: boolean;
}

/** A delivery an attempt may be made at, named with the attempts it has had (Bull's job id). */
export interface DueDelivery {
  id: string;
  attempts: number;
}

/** The delivery a worker has claimed for one attempt. */
export interface ClaimedDelivery {
  id: string;
  eventId: string;
  endpointId: string;
  /** This attempt's number. */
  attempts: number;
  /** Attempts since the delivery was last (re)started: the retry schedule's position. */
  roundAttempts: number;
}

export interface AttemptResult {
  id: string;
  attempt: number;
  ok: boolean;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  /** The wait before the next attempt, if the delivery is not given up by then. */
  retryDelayMs: number;
}
