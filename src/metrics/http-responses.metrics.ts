import { makeCounterProvider } from '@willsoto/nestjs-prometheus';

export const HTTP_RESPONSES = 'payment_service_http_responses_total';

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/**
 * Responses by status class, counted in plain numbers and handed to prom-client only when
 * `/metrics` is scraped (as `idempotency_requests_total` is: a labelled `inc` per request costs a
 * label key built and hashed). Process-wide, like the registry. Health checks and scrapes are not
 * counted: they are not traffic.
 */
const responsesByClass = [0, 0, 0, 0, 0];

/** Counts one answered request (the access log calls it once per request it logs). */
export function countHttpResponse(statusCode: number): void {
  const index = Math.floor(statusCode / 100) - 1;
  if (index >= 0 && index < responsesByClass.length) responsesByClass[index] += 1;
}

export const httpResponseMetricProviders = [
  makeCounterProvider({
    name: HTTP_RESPONSES,
    help: 'HTTP responses by status class (1xx … 5xx), health checks and scrapes left out',
    labelNames: ['status_class'],
    collect() {
      this.reset();
      STATUS_CLASSES.forEach((statusClass, index) =>
        this.inc({ status_class: statusClass }, responsesByClass[index]),
      );
    },
  }),
];
