import { makeCounterProvider } from '@willsoto/nestjs-prometheus';

export const HTTP_RESPONSES = 'payment_service_http_responses_total';

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/** Copied to prom-client at scrape time. Health checks and scrapes are not counted. */
const responsesByClass = [0, 0, 0, 0, 0];

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
