import { Global, Module } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { httpResponseMetricProviders } from './http-responses.metrics';
import { MetricsController } from './metrics.controller';

/** HTTP responses are counted here because they belong to no one module. */
@Global()
@Module({
  imports: [PrometheusModule.register({ path: '/metrics', controller: MetricsController })],
  providers: [...httpResponseMetricProviders],
  exports: [PrometheusModule],
})
export class MetricsModule {}
