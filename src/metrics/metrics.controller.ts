import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth';
import { CommonErrorCode } from '../common/errors/common.exception';
import { ApiErrors } from '../common/openapi/api-errors.decorator';

/** Public, like health (docs/design/requests.md). */
@ApiTags('metrics')
@ApiErrors(CommonErrorCode.INTERNAL_ERROR)
@Public()
@Controller()
export class MetricsController extends PrometheusController {
  @Get()
  @ApiOperation({
    operationId: 'getMetrics',
    summary: 'Prometheus metrics',
    description: 'Public, for scraping, in the Prometheus text format.',
  })
  @ApiOkResponse({
    description: 'Prometheus text exposition format',
    content: { 'text/plain': { schema: { type: 'string' } } },
  })
  override index(@Res({ passthrough: true }) response: FastifyReply) {
    return super.index(response);
  }
}
