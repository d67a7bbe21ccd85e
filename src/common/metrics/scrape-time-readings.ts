import { Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { describeError } from '../errors/error-like';

/** The registry is process-wide, so the gauge asks the most recently started application. */
export class ScrapeTimeReadings<T> {
  private readonly logger = new Logger(ScrapeTimeReadings.name);
  private readonly readers: Array<() => Promise<T>> = [];

  constructor(private readonly what: string) {}

  add(reader: () => Promise<T>): () => void {
    this.readers.push(reader);
    return () => {
      const index = this.readers.lastIndexOf(reader);
      if (index >= 0) this.readers.splice(index, 1);
    };
  }

  async read(): Promise<T | undefined> {
    const reader = this.readers.at(-1);
    if (!reader) return undefined;
    try {
      return await reader();
    } catch (error) {
      this.logger.warn({ err: describeError(error) }, `Could not read ${this.what} for /metrics`);
      return undefined;
    }
  }
}

/** Supplies an application's reading to a gauge while the application runs. */
export abstract class ScrapeTimeSource<T> implements OnModuleInit, OnModuleDestroy {
  private unregister: (() => void) | undefined;

  protected constructor(private readonly readings: ScrapeTimeReadings<T>) {}

  protected abstract read(): Promise<T>;

  onModuleInit(): void {
    this.unregister = this.readings.add(() => this.read());
  }

  onModuleDestroy(): void {
    this.unregister?.();
  }
}
