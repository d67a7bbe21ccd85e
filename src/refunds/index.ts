export type { RefundStatus } from './entities/refund.entity';
export { isMismatch, RefundSync } from './refund-sync.service';
export type { RefundComparison } from './refund-sync.service';
export { RefundsModule } from './refunds.module';
export { RefundsService } from './refunds.service';
