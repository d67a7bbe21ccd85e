export { AdminOnly } from './admin.guard';
export { ApiAuthenticated } from './api-authenticated.decorator';
export { AuthErrorCode } from './auth.exception';
export { AuthModule } from './auth.module';
export { JwtAuthGuard } from './jwt-auth.guard';
export { CurrentPrincipal, principalOf } from './principal';
export type { AuthenticatedRequest, Principal } from './principal';
export { Public } from './public.decorator';
