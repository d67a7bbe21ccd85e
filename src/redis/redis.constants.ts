/** The shared ioredis client (idempotency cache and locks). */
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');
