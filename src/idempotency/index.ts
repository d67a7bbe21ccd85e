export { IdempotencyModule } from './idempotency.module';
export { IdempotencyService } from './idempotency.service';
export { IDEMPOTENT_REPLAYED_RESPONSE_HEADER, Idempotent } from './idempotent.decorator';
export { CurrentIdempotentExecution, ensureSameRequest } from './idempotent-request';
export type { IdempotentExecution } from './idempotent-request';
export { stripeIdempotencyKey } from './idempotency-scope';
export { insertFields, recordForRequest, stripeAttemptAge } from './record-for-request';
export type { AlongsideRow, InsertRow, RecordedRow, RequestIdentity } from './record-for-request';
