import { Inject, Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/internal';
import { BullModule, getQueueToken } from '@nestjs/bull';
import { createBullBoard } from '@bull-board/api';
import { BullAdapter } from '@bull-board/api/bullAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bull';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AllExceptionsFilter } from '../common/errors/all-exceptions.filter';
import { AuthModule, JwtAuthGuard } from '../auth';
import { AppConfig } from '../config/app-config';
import { TENANT_WEBHOOK_QUEUE } from '../events';
import { bullQueueOptions } from '../redis/bull-queue-options';
import { STRIPE_WEBHOOK_QUEUE } from '../webhooks';

export const QUEUE_BOARD_PATH = '/admin/queues';

/** Stands in for the board's handlers where the guard reads route metadata; the board has none. */
function boardRoute(): void {}

/** A Fastify plugin outside Nest's routing, so the global guard is run in front of it explicitly. */
@Module({
  imports: [
    AuthModule,
    // The webhooks module keeps its queue private, so the board opens its own handle on the same connections.
    BullModule.registerQueueAsync({
      name: STRIPE_WEBHOOK_QUEUE,
      inject: [AppConfig],
      useFactory: bullQueueOptions,
    }),
    BullModule.registerQueueAsync({
      name: TENANT_WEBHOOK_QUEUE,
      inject: [AppConfig],
      useFactory: bullQueueOptions,
    }),
  ],
})
export class QueueBoardModule implements OnModuleInit {
  constructor(
    private readonly config: AppConfig,
    private readonly adapterHost: HttpAdapterHost,
    private readonly guard: JwtAuthGuard,
    @Inject(getQueueToken(STRIPE_WEBHOOK_QUEUE)) private readonly webhookQueue: Queue,
    @Inject(getQueueToken(TENANT_WEBHOOK_QUEUE)) private readonly tenantWebhookQueue: Queue,
  ) {}

  onModuleInit(): void {
    const http = this.adapterHost.httpAdapter as HttpAdapterHost['httpAdapter'] | undefined;
    // A standalone context or a worker process has no HTTP server to serve from.
    if (!http || !this.config.runsHttp) return;
    const board = new FastifyAdapter();
    board.setBasePath(QUEUE_BOARD_PATH);
    createBullBoard({
      queues: [new BullAdapter(this.webhookQueue), new BullAdapter(this.tenantWebhookQueue)],
      serverAdapter: board,
    });
    const fastify = http.getInstance<FastifyInstance>();
    void fastify.register(
      (scope, _options, done) => {
        scope.addHook('onRequest', this.requireAdmin);
        void scope.register(board.registerPlugin());
        done();
      },
      { prefix: QUEUE_BOARD_PATH },
    );
  }

  /** The plugin has its own error handler, so refusals are rendered here as the exception filter would. */
  private readonly requireAdmin = (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    const context = new ExecutionContextHost([request, reply], QueueBoardModule, boardRoute);
    try {
      this.guard.canActivate(context);
    } catch (error) {
      new AllExceptionsFilter().catch(error, context);
      return;
    }
    done();
  };
}
