import { Body, Controller, Get, Post } from '@nestjs/common';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { AdminOnly } from '../../src/auth/admin.guard';
import { CurrentPrincipal, Principal } from '../../src/auth/principal';
import { MAX_AMOUNT } from '../../src/common/validation/money';

export class ProbeBody {
  @IsInt()
  @Min(1)
  @Max(MAX_AMOUNT)
  amount!: number;

  @IsOptional()
  @IsString()
  note?: string;
}

/** A guarded controller that only the tests mount, to exercise the cross-cutting layers. */
@Controller('probe')
export class ProbeController {
  @Get('me')
  me(@CurrentPrincipal() principal: Principal) {
    return principal;
  }

  @Post('echo')
  echo(@Body() body: ProbeBody) {
    return { received: body };
  }

  @AdminOnly()
  @Get('admin')
  admin() {
    return { ok: true };
  }

  @Get('boom')
  boom(): never {
    throw new Error('SELECT secret FROM vault WHERE password = hunter2');
  }
}

/** Under /admin but without @AdminOnly(): the global guard must still demand the admin role. */
@Controller('admin/probe')
export class AdminPathProbeController {
  @Get()
  get() {
    return { ok: true };
  }
}
