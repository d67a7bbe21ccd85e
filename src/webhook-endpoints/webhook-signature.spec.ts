import { Webhook } from 'standardwebhooks';
import { newWebhookSecret, webhookHeaders } from './webhook-signature';

describe('webhookHeaders', () => {
  it('signs once per secret, each signature verifying with the Standard Webhooks library', () => {
    const [current, previous, other] = [newWebhookSecret(), newWebhookSecret(), newWebhookSecret()];
    const body = JSON.stringify({ id: 'e1', type: 'payment.succeeded' });
    const headers = webhookHeaders([current, previous], 'e1', body);
    expect(headers['content-type']).toBe('application/json');
    expect(headers['webhook-id']).toBe('e1');
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    for (const secret of [current, previous])
      expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(other).verify(body, headers)).toThrow('No matching signature found');
    expect(() => new Webhook(current).verify(`${body} `, headers)).toThrow('No matching signature found');
  });

  it('states the timestamp it signed, in whole seconds', () => {
    const headers = webhookHeaders([newWebhookSecret()], 'e2', '{}', new Date(1_700_000_000_999));
    expect(headers['webhook-timestamp']).toBe('1700000000');
  });
});
