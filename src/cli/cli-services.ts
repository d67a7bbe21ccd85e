import { DynamicModule, Injectable, Type } from '@nestjs/common';
import { LazyModuleLoader, ModuleRef } from '@nestjs/core';
import { AppConfig } from '../config/app-config';
import { CliServicesModule } from './cli-services.module';

@Injectable()
export class CliServices {
  private moduleRef: Promise<ModuleRef> | undefined;

  constructor(
    private readonly loader: LazyModuleLoader,
    private readonly config: AppConfig,
  ) {}

  async get<T>(type: Type<T>): Promise<T> {
    return (await this.common()).get(type, { strict: false });
  }

  /** For modules only some commands need, so the other commands do not pay for loading them. */
  async getFrom<T>(module: (config: AppConfig) => DynamicModule, type: Type<T>): Promise<T> {
    await this.common();
    const extra = await this.loader.load(() => module(this.config));
    return extra.get(type, { strict: false });
  }

  private common(): Promise<ModuleRef> {
    this.moduleRef ??= this.loader.load(() => CliServicesModule.forRoot(this.config));
    return this.moduleRef;
  }
}
