import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { BullModule } from '@nestjs/bull';
import { ScheduleModule } from '@nestjs/schedule';
import { LoggerModule } from 'nestjs-pino';
import { AuthModule } from './auth/auth.module';
import { JwtAuthGuard } from './auth/jwt-auth.guard';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter';
import { validationExceptionFactory } from './common/errors/validation-exception.factory';
import { StrictValidationPipe } from './common/validation/strict-validation.pipe';
import { loggerParams } from './common/logging/logger-params';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { CustomersModule } from './customers/customers.module';
import { DatabaseModule } from './database/database.module';
import { ENTITIES } from './entities';
import { EventsModule } from './events';
import { HealthModule } from './health/health.module';
import { IdempotencyModule } from './idempotency/idempotency.module';
import { MaintenanceModule } from './maintenance/maintenance.module';
import { QueueBoardModule } from './maintenance/queue-board.module';
import { MetricsModule } from './metrics/metrics.module';
import { PaymentsModule } from './payments/payments.module';
import { RateLimitModule } from './rate-limit';
import { ReconciliationModule } from './reconciliation/reconciliation.module';
import { RefundsModule } from './refunds/refunds.module';
import { RedisModule } from './redis/redis.module';
import { StripeModule } from './stripe/stripe.module';
import { WebhookEndpointsModule } from './webhook-endpoints';
import { WebhooksModule } from './webhooks/webhooks.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    const webhooks = WebhooksModule.forRoot(config);
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(loggerParams(config)),
        DatabaseModule.forRoot(ENTITIES),
        RedisModule,
        BullModule.forRoot({ url: config.redisUrl }),
        ScheduleModule.forRoot(),
        MetricsModule,
        AuthModule,
        HealthModule,
        IdempotencyModule,
        RateLimitModule,
        StripeModule,
        CustomersModule,
        PaymentsModule,
        RefundsModule,
        ReconciliationModule,
        webhooks,
        EventsModule,
        WebhookEndpointsModule.forRoot(config),
        MaintenanceModule.forRoot(webhooks),
        QueueBoardModule,
      ],
      // Every global provider is registered here, and only here.
      providers: [
        { provide: APP_GUARD, useExisting: JwtAuthGuard },
        {
          provide: APP_PIPE,
          useValue: new StrictValidationPipe({
            whitelist: true,
            forbidNonWhitelisted: true,
            transform: true,
            exceptionFactory: validationExceptionFactory,
          }),
        },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
      ],
    };
  }
}
