/** The rate-limit module's public face: the module and the decorator a money route carries. */
export { RateLimitModule } from './rate-limit.module';
export { RateLimit } from './rate-limit.decorator';
export type { RateLimitFamily } from './rate-limit-family';
