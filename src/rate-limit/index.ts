export { RateLimitModule } from './rate-limit.module';
export { RateLimit } from './rate-limit.decorator';
export type { RateLimitFamily } from './rate-limit-family';
