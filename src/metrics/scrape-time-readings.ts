import { Logger } from '@nestjs/common';
import { describeError } from '../common/errors/error-like';

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
