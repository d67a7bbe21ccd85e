import { Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { describeError } from '../errors/error-like';

/**
 * A reading a gauge takes when `/metrics` is scraped (the state of a table, whoever wrote it),
 * rather than a number the code keeps up to date.
 *
 * prom-client's registry is process-wide and keeps the first metric registered under a name,
 * while each application has its own database connection (a test process runs several): the
 * gauge asks the most recently started application that is still running. A reading that fails
 * (the database is away) leaves the gauge unknown for that scrape (NaN, or no series), and
 * `/metrics` still answers.
 */
export class ScrapeTimeReadings<T> {
  private readonly logger = new Logger(ScrapeTimeReadings.name);
  private readonly readers: Array<() => Promise<T>> = [];

  constructor(private readonly what: string) {}

  /** Registers an application's reader; answers the function that unregisters it. */
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

/** Lends an application's reading to a gauge for as long as the application runs. */
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
