import { Global, Module } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { httpResponseMetricProviders } from './http-responses.metrics';
import { MetricsController } from './metrics.controller';

/**
 * prom-client's registry behind `/metrics`; modules declare their own metric providers. The
 * HTTP responses are counted here: they belong to no one module.
 */
@Global()
@Module({
  imports: [PrometheusModule.register({ path: '/metrics', controller: MetricsController })],
  providers: [...httpResponseMetricProviders],
  exports: [PrometheusModule],
})
export class MetricsModule {}
