import { Injectable, Type } from '@nestjs/common';
import { LazyModuleLoader, ModuleRef } from '@nestjs/core';
import { CliServicesModule } from './cli-services.module';

/** The services a command calls, from a module loaded on first use. */
@Injectable()
export class CliServices {
  private moduleRef: Promise<ModuleRef> | undefined;

  constructor(private readonly loader: LazyModuleLoader) {}

  async get<T>(type: Type<T>): Promise<T> {
    this.moduleRef ??= this.loader.load(() => CliServicesModule);
    return (await this.moduleRef).get(type, { strict: false });
  }
}
