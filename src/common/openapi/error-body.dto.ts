import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ErrorBody } from '../errors/app.exception';

/** The one error shape of every route (docs/errors.md), as the OpenAPI document shows it. */
export class ErrorBodyDto implements ErrorBody {
  @ApiProperty({ description: 'The HTTP status, repeated in the body', example: 422 })
  statusCode!: number;

  @ApiProperty({
    description: 'Stable UPPER_SNAKE code; clients branch on it, never on the message',
    example: 'REFUND_EXCEEDS_PAYMENT',
  })
  code!: string;

  @ApiProperty({ description: 'Human-readable; may change between releases' })
  message!: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Structured context, e.g. `paymentId` of a declined payment or the failing `fields`',
  })
  details?: Record<string, unknown>;
}
