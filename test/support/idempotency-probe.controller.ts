import { Body, Controller, Injectable, Post, Res } from '@nestjs/common';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { randomUUID } from 'node:crypto';
import { AppException } from '../../src/common/errors/app.exception';
import { CurrentIdempotentExecution, IdempotentExecution } from '../../src/idempotency/idempotent-request';
import { stripeIdempotencyKey } from '../../src/idempotency/idempotency-scope';
import { Idempotent } from '../../src/idempotency/idempotent.decorator';
import { sleep } from './time';

export const PROBE_FAILURES = [402, 404, 409, 422, 500, 503] as const;

export class ProbeChargeBody {
  @IsInt()
  @Min(1)
  amount!: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10000)
  delayMs?: number;

  @IsOptional()
  @IsIn(PROBE_FAILURES)
  fail?: (typeof PROBE_FAILURES)[number];
}

/** Counts handler executions: the number every idempotency test is about. */
@Injectable()
export class ExecutionCounter {
  private started = 0;
  private readonly waiters: Array<{ count: number; resolve: () => void }> = [];

  get count(): number {
    return this.started;
  }

  start(): number {
    const run = ++this.started;
    for (const waiter of this.waiters.filter((w) => w.count <= run)) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
    return run;
  }

  /**
   * Resolves once `count` executions have started in total: how a test knows a request is
   * really in flight (past its claim, inside the handler) before it sends the next one.
   */
  whenStarted(count: number, timeoutMs = 5000): Promise<void> {
    if (this.started >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`${count} executions did not start within ${timeoutMs} ms (${this.started} did)`));
      }, timeoutMs);
      const waiter = {
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(waiter);
    });
  }
}

/** A trivial idempotent POST that only the tests mount. */
@Controller('probe-idempotency')
export class IdempotencyProbeController {
  constructor(private readonly executions: ExecutionCounter) {}

  @Post('charges')
  @Idempotent()
  async charge(
    @Body() body: ProbeChargeBody,
    @CurrentIdempotentExecution() execution: IdempotentExecution,
    @Res({ passthrough: true }) response: FastifyReply,
  ) {
    const run = this.executions.start();
    if (body.delayMs) await sleep(body.delayMs);
    if (body.fail) throw new AppException(`PROBE_${body.fail}`, body.fail, `probe failed with ${body.fail}`);
    const id = randomUUID();
    response.header('Location', `/probe-idempotency/charges/${id}`);
    return { id, amount: body.amount, execution: run, stripeKey: stripeIdempotencyKey(execution, 'charge') };
  }
}
