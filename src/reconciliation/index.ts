export { ReconciliationModule } from './reconciliation.module';
export { ReconciliationService } from './reconciliation.service';
export type { ReconciliationFinding, ReconciliationSummary } from './reconciliation.service';
