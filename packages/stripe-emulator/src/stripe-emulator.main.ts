import { parseArgs } from 'node:util';
import { StripeEmulator } from './stripe-emulator';

const DEFAULT_PORT = 12111;

interface CliOptions {
  port: number;
  host: string;
  webhookUrl?: string;
  webhookSecret?: string;
}

function cliOptions(argv: string[]): CliOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'webhook-url': { type: 'string' },
      'webhook-secret': { type: 'string' },
    },
  });
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be 0-65535, got ${values.port}`);
  if ((values['webhook-url'] === undefined) !== (values['webhook-secret'] === undefined)) {
    throw new Error('--webhook-url and --webhook-secret go together');
  }
  return {
    port,
    host: values.host ?? '127.0.0.1',
    webhookUrl: values['webhook-url'],
    webhookSecret: values['webhook-secret'],
  };
}

async function main(): Promise<void> {
  const options = cliOptions(process.argv.slice(2));
  const webhook =
    options.webhookUrl !== undefined && options.webhookSecret !== undefined
      ? { url: options.webhookUrl, secret: options.webhookSecret }
      : undefined;
  const emulator = new StripeEmulator({ port: options.port, host: options.host, webhook });
  const { url } = await emulator.start();
  process.stdout.write(
    `Stripe emulator listening on ${url}${webhook ? `, webhooks to ${webhook.url}` : ''}\n`,
  );
  const shutdown = (): void => {
    void emulator.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`stripe-emulator: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
