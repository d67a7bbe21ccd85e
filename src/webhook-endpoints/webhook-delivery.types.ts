export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** Attempt 0 records a delivery failed without an attempt because its endpoint was disabled. */
export interface DeliveryAttempt {
  attempt: number;
  /** ISO 8601, by the database clock. */
  at: string;
  statusCode: number | null;
  durationMs: number | null;
  error: string | null;
  nextAttemptAt: string | null;
}

/** Only the latest attempts are kept, so a row's size stays bounded. */
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

export interface NewDelivery {
  id: string;
  tenantId: string;
  eventId: string;
  endpointId: string;
  eventType: string;
  eventCreatedAt: Date;
  /** The delivery is created `failed`, without an attempt. */
  endpointDisabled: boolean;
}

/** `attempts` is part of the Bull job id, so each attempt is queued at most once. */
export interface DueDelivery {
  id: string;
  attempts: number;
}

export interface ClaimedDelivery {
  id: string;
  eventId: string;
  endpointId: string;
  /** This attempt's number. */
  attempts: number;
  /** Attempts since the delivery was last (re)started: its position in the retry schedule. */
  roundAttempts: number;
}

export interface AttemptResult {
  id: string;
  attempt: number;
  ok: boolean;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  /** Ignored on success, or when the next attempt would fall past `give_up_at`. */
  retryDelayMs: number;
}
