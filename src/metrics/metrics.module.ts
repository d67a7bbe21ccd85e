import { Global, Module } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { httpResponseMetricProviders } from './http-responses.metrics';
import { MetricsController } from './metrics.controller';
import { UnsettledRefundsMetrics, unsettledRefundMetricProviders } from './unsettled-refunds.metrics';

/**
 * prom-client's registry behind `/metrics`; modules declare their own metric providers. The
 * HTTP responses and the refund gauge are here: they belong to no one module.
 */
@Global()
@Module({
  imports: [PrometheusModule.register({ path: '/metrics', controller: MetricsController })],
  providers: [...httpResponseMetricProviders, ...unsettledRefundMetricProviders, UnsettledRefundsMetrics],
  exports: [PrometheusModule],
})
export class MetricsModule {}
