import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { ConfigError, loadAppConfig } from '../config/app-config';
import { CliUsageError } from './cli-output';
import { CliModule } from './cli.module';

/** `npm run cli -- <command>`: runs one command and exits 0, or 1 with one line on stderr. */
async function runCommand(): Promise<void> {
  const config = loadAppConfig(process.env);
  await CommandFactory.run(CliModule.forRoot(config), {
    logger: ['warn', 'error'],
    serviceErrorHandler: (error: Error) => fail(error),
  });
}

function fail(error: unknown): void {
  const message =
    error instanceof ConfigError || error instanceof CliUsageError
      ? error.message
      : `error: ${firstLine(error instanceof Error ? error.message : String(error))}`;
  process.stderr.write(`${message}\n`);
  process.exitCode = 1;
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? text;
}

runCommand()
  .catch(fail)
  // Bull and ioredis may keep sockets open briefly after close; the command is done.
  .finally(() => process.exit());
