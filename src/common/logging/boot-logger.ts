import { ConsoleLogger } from '@nestjs/common';
import { describeError } from '../errors/error-like';

/** Used until pino takes over, and when startup fails first. */
export class BootLogger extends ConsoleLogger {
  constructor() {
    super({ json: true, colors: false });
  }

  override error(message: unknown, ...rest: unknown[]): void {
    const context = rest.find((item): item is string => typeof item === 'string' && !item.includes('\n'));
    const text = typeof message === 'string' ? message : JSON.stringify(describeError(message));
    if (context) super.error(text, context);
    else super.error(text);
  }
}
