import { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { AppException } from '../common/errors/app.exception';
import { AppConfig, loadAppConfig } from '../config/app-config';
import { TenantRateLimitGuard } from './tenant-rate-limit.guard';

describe(TenantRateLimitGuard.name, () => {
  const tenantId = '6f1c1d1e-58a4-4c8e-9d0f-3b7b1a2c4d5e';
  const handler = () => undefined;
  const context = {
    getHandler: () => handler,
    getClass: () => class PaymentsController {},
    switchToHttp: () => ({
      getRequest: () => ({ principal: { tenantId, userId: 'u', roles: [] }, headers: {} }),
      getResponse: () => ({ header: jest.fn() }),
    }),
  } as unknown as ExecutionContext;

  async function guardWith(env: Record<string, string>, storage: ThrottlerStorage) {
    const config: AppConfig = loadAppConfig({
      NODE_ENV: 'test',
      JWT_SECRET: 'a-test-secret-of-enough-length',
      ...env,
    });
    const options = { setHeaders: false, throttlers: [{ name: 'payments', limit: 1, ttl: 60_000 }] };
    const guard = new TenantRateLimitGuard(options, storage, new Reflector(), config);
    await guard.onModuleInit();
    return guard;
  }

  it('counts per tenant and family, and answers 429 RATE_LIMITED with Retry-After over the limit', async () => {
    const increment = jest.fn().mockResolvedValue({
      totalHits: 2,
      timeToExpire: 7,
      isBlocked: true,
      timeToBlockExpire: 7,
    });
    const guard = await guardWith({}, { increment });

    const refused = await guard.canActivate(context).catch((error: unknown) => error);

    expect(increment).toHaveBeenCalledWith(`rate-limit:payments:${tenantId}`, 60_000, 1, 60_000, 'payments');
    expect(refused).toBeInstanceOf(AppException);
    expect(refused).toMatchObject({ status: 429, code: 'RATE_LIMITED', headers: { 'Retry-After': '7' } });
  });

  it('lets everything through without counting when RATE_LIMIT_ENABLED=false', async () => {
    const increment = jest.fn();
    const guard = await guardWith({ RATE_LIMIT_ENABLED: 'false' }, { increment });
    await expect(guard.canActivate(context)).resolves.toBe(true);
    expect(increment).not.toHaveBeenCalled();
  });
});
