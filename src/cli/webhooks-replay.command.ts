import { Command, CommandRunner, Option } from 'nest-commander';
import { WebhookInboxService } from '../webhooks';
import { CliServices } from './cli-services';
import { CliUsageError, printLines } from './cli-output';

interface ReplayOptions {
  dead?: boolean;
}

@Command({
  name: 'webhooks:replay',
  arguments: '[eventId]',
  argsDescription: { eventId: 'the Stripe event id (evt_…) to process again' },
  description:
    're-queue one webhook event, or every dead-lettered one with --dead (replaying a processed event changes nothing)',
})
export class WebhooksReplayCommand extends CommandRunner {
  constructor(private readonly services: CliServices) {
    super();
  }

  async run([eventId]: string[], options: ReplayOptions): Promise<void> {
    if (Boolean(eventId) === Boolean(options.dead)) {
      throw new CliUsageError('webhooks:replay needs an event id or --dead (not both)');
    }
    const inbox = await this.services.get(WebhookInboxService);
    if (options.dead) {
      printLines(`webhook_inbox: ${await inbox.replayDead()} dead event(s) queued again`);
      return;
    }
    if ((await inbox.replay(eventId)) === 'not_found') {
      throw new CliUsageError(`webhooks:replay: no event ${eventId} in the inbox`);
    }
    printLines(`webhook_inbox: ${eventId} queued again`);
  }

  @Option({ flags: '--dead', description: 'replay the events dead when it starts, each once' })
  parseDead(): boolean {
    return true;
  }
}
