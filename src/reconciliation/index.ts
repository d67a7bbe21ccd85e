// The reconciliation module's public entry: other modules import from here, never from its files.
export { ReconciliationModule } from './reconciliation.module';
export { ReconciliationService } from './reconciliation.service';
export type { ReconciliationFinding, ReconciliationSummary } from './reconciliation.service';
