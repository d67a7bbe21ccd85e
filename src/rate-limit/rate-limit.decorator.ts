import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { CommonErrorCode } from '../common/errors/common.exception';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { RATE_LIMIT_FAMILY, RateLimitFamily } from './rate-limit-family';
import { TenantRateLimitGuard } from './tenant-rate-limit.guard';

/** Counts the request against its tenant's budget for `family` (docs/design/requests.md, "Rate limits"). */
export const RateLimit = (family: RateLimitFamily) =>
  applyDecorators(
    SetMetadata(RATE_LIMIT_FAMILY, family),
    UseGuards(TenantRateLimitGuard),
    ApiErrors(CommonErrorCode.RATE_LIMITED),
  );
