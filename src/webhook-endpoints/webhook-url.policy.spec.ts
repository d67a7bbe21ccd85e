import { AppConfig, loadAppConfig } from '../config/app-config';
import { HostResolver } from './host-resolver';
import { isPublicAddress, UrlRefusedError, WebhookUrlPolicy } from './webhook-url.policy';

describe('isPublicAddress', () => {
  it.each([
    '127.0.0.1',
    '127.8.9.10',
    '10.0.0.1',
    '172.16.5.4',
    '192.168.0.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '255.255.255.255',
    '224.0.0.1',
    '192.0.2.1',
    '::1',
    '::',
    'fe80::1',
    'fd00:ec2::254',
    '::ffff:127.0.0.1',
    '::ffff:10.1.1.1',
    '64:ff9b::a00:1',
    'not an address',
  ])('refuses %s', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('accepts %s', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });
});

describe(WebhookUrlPolicy.name, () => {
  const production = (): AppConfig =>
    loadAppConfig({
      NODE_ENV: 'production',
      JWT_SECRET: 'unit-test-secret-0123456789',
      STRIPE_SECRET_KEY: 'sk_test_unit',
      STRIPE_WEBHOOK_SECRET: 'whsec_unit',
    });
  const resolver = { resolve: jest.fn() } as unknown as jest.Mocked<HostResolver>;

  it('parses https only in production, without credentials', () => {
    const policy = new WebhookUrlPolicy(production(), resolver);
    expect(policy.parse('https://example.com/hooks').hostname).toBe('example.com');
    expect(() => policy.parse('http://example.com/hooks')).toThrow(new UrlRefusedError('url must use https'));
    expect(() => policy.parse('https://a:b@example.com/')).toThrow('url must not carry credentials');
  });

  it('allows http and private addresses in sandbox mode', async () => {
    const sandbox = loadAppConfig({ NODE_ENV: 'development' });
    const policy = new WebhookUrlPolicy(sandbox, resolver);
    expect(policy.parse('http://127.0.0.1:8080/').port).toBe('8080');
    await expect(policy.ensureAllowed('http://10.0.0.1/')).resolves.toBeUndefined();
  });

  it('refuses a name one of whose addresses is not public', async () => {
    resolver.resolve.mockResolvedValueOnce([
      { address: '8.8.8.8', family: 4 },
      { address: '10.0.0.8', family: 4 },
    ]);
    await expect(new WebhookUrlPolicy(production(), resolver).addressesOf('mixed.example')).rejects.toThrow(
      "url's host mixed.example resolves to 10.0.0.8",
    );
  });
});
