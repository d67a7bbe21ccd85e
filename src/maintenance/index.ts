export { CleanupService, DEFAULT_CLEANUP_BATCH_SIZE } from './cleanup.service';
export { MaintenanceModule } from './maintenance.module';
export { QueueBoardModule } from './queue-board.module';
