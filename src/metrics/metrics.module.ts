import { Global, Module } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { MetricsController } from './metrics.controller';

/** prom-client's registry behind `/metrics`; modules declare their own metric providers. */
@Global()
@Module({
  imports: [PrometheusModule.register({ path: '/metrics', controller: MetricsController })],
  exports: [PrometheusModule],
})
export class MetricsModule {}
