import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../auth';
import { CommonErrorCode } from '../common/errors/common.exception';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { RedisHealthIndicator } from './redis.health';

@ApiTags('health')
@ApiErrors(CommonErrorCode.INTERNAL_ERROR)
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
  ) {}

  @Get()
  // Above @HealthCheck(), so a failed check reaches the client as the error body, not terminus' report.
  @ApiErrors(CommonErrorCode.SERVICE_UNAVAILABLE)
  @HealthCheck()
  @ApiOperation({
    operationId: 'getLiveness',
    summary: 'Liveness: the process is up and serving HTTP',
    description: 'Checks nothing else; public, for an orchestrator.',
  })
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @ApiErrors(CommonErrorCode.SERVICE_UNAVAILABLE)
  @HealthCheck()
  @ApiOperation({
    operationId: 'getReadiness',
    summary: 'Readiness: PostgreSQL reachable (503 if not); Redis up or degraded',
    description:
      'Redis down is `degraded`, not a failure: the service still runs on PostgreSQL alone. Public, for an orchestrator.',
  })
  ready() {
    return this.health.check([
      () => this.db.pingCheck('database').withTimeout(2000),
      () => this.redis.check('redis'),
    ]);
  }
}
