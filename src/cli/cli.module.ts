import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { ConfigModule } from '../config/config.module';
import { CleanupCommand } from './cleanup.command';
import { CliServices } from './cli-services';
import { EventsResendCommand } from './events-resend.command';
import { ReconcileCommand } from './reconcile.command';
import { WebhooksReplayCommand } from './webhooks-replay.command';

/** What the commands work with is loaded on first use (`CliServices`). */
@Module({})
export class CliModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: CliModule,
      imports: [ConfigModule.forRoot(config.forCommandLine())],
      providers: [CliServices, CleanupCommand, ReconcileCommand, WebhooksReplayCommand, EventsResendCommand],
    };
  }
}
