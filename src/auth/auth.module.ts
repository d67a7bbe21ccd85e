import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { AdminGuard } from './admin.guard';
import { JwtAuthGuard } from './jwt-auth.guard';
import { JwtVerifier } from './jwt-verifier';

@Module({
  providers: [
    {
      provide: JwtVerifier,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => new JwtVerifier(config.jwtSecret),
    },
    JwtAuthGuard,
    AdminGuard,
  ],
  exports: [JwtAuthGuard, AdminGuard],
})
export class AuthModule {}
