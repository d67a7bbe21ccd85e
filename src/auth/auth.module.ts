import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { AdminGuard } from './admin.guard';
import { JwtAuthGuard } from './jwt-auth.guard';

@Module({
  imports: [JwtModule.register({})],
  providers: [{ provide: APP_GUARD, useClass: JwtAuthGuard }, AdminGuard],
  exports: [AdminGuard],
})
export class AuthModule {}
