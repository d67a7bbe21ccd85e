import { Injectable, Type } from '@nestjs/common';
import { LazyModuleLoader, ModuleRef } from '@nestjs/core';
import { AppConfig } from '../config/app-config';
import { CliServicesModule } from './cli-services.module';

/** The services a command calls, from a module loaded on first use. */
@Injectable()
export class CliServices {
  private moduleRef: Promise<ModuleRef> | undefined;

  constructor(
    private readonly loader: LazyModuleLoader,
    private readonly config: AppConfig,
  ) {}

  async get<T>(type: Type<T>): Promise<T> {
    this.moduleRef ??= this.loader.load(() => CliServicesModule.forRoot(this.config));
    return (await this.moduleRef).get(type, { strict: false });
  }
}
