// The payments module's public entry: other modules import from here, never from its files.
export type { PaymentStatus } from './entities/payment-transaction.entity';
export { PaymentErrorCode } from './payment.exception';
export { paymentStatusOf } from './payment-status.util';
export { PaymentsModule } from './payments.module';
export { PaymentsService } from './payments.service';
export type { EventLockedPayment, LockedPayment, PaymentRef, RefundNews } from './payments.service';
