import { Body, Controller, Module, Post } from '@nestjs/common';
import { IsInt, Max, Min } from 'class-validator';
import { randomUUID } from 'node:crypto';
import { IdempotencyModule } from '../src/idempotency/idempotency.module';
import { Idempotent } from '../src/idempotency/idempotent.decorator';

export class BenchBody {
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  amount!: number;
}

export interface BenchAnswer {
  id: string;
  amount: number;
}

/**
 * Two routes that differ only by `@Idempotent()`: same DTO, same validation, same handler, same
 * global JWT guard. Whatever separates their figures is the idempotency layer.
 */
@Controller('bench')
export class BenchController {
  @Post('bare')
  bare(@Body() body: BenchBody): BenchAnswer {
    return answer(body);
  }

  @Post('idempotent')
  @Idempotent()
  idempotent(@Body() body: BenchBody): BenchAnswer {
    return answer(body);
  }
}

// A fresh id per execution: a replay is recognisable by carrying the first execution's id.
function answer(body: BenchBody): BenchAnswer {
  return { id: randomUUID(), amount: body.amount };
}

@Module({
  imports: [IdempotencyModule],
  controllers: [BenchController],
})
export class BenchModule {}
