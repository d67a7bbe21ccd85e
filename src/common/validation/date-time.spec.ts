import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { DATE_TIME_SCHEMA, isDateTime } from './date-time';

const twoDigits = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));

/** Strings shaped like RFC 3339 date-times, each part sometimes out of range or spelled otherwise. */
const dateTimeLike = fc.oneof(
  fc
    .record({
      year: fc.oneof(fc.constantFrom('0000', '1900', '2000', '2024', '2025', '2026'), twoDigits(99)),
      month: twoDigits(13),
      day: twoDigits(32),
      separator: fc.constantFrom('T', 'T', 't', ' ', ''),
      hour: twoDigits(24),
      minute: twoDigits(60),
      second: fc.oneof(twoDigits(61), fc.constant('')),
      fraction: fc.constantFrom('', '', '.5', '.123', '.123456789', '.'),
      zone: fc.constantFrom('Z', 'Z', '+01:00', '-23:59', 'z', '', '+24:00', '+0100', '+01', '-00:60'),
    })
    .map(({ year, month, day, separator, hour, minute, second, fraction, zone }) =>
      year.length === 2
        ? `20${year}-${month}-${day}`
        : `${year}-${month}-${day}${separator}${hour}:${minute}${second ? `:${second}` : ''}${fraction}${zone}`,
    ),
  fc.constantFrom(
    '2026-W01-1',
    '20261205T134000Z',
    '2026-001',
    '2024-02-29T00:00:00Z',
    '2026-02-29T00:00:00Z',
  ),
  fc.string(),
);

describe(isDateTime.name, () => {
  const ajv = new Ajv2020({ strict: true });
  addFormats(ajv);
  const documented = ajv.compile(DATE_TIME_SCHEMA);

  it('accepts exactly what the documented schema (format and pattern) accepts', () => {
    fc.assert(
      fc.property(dateTimeLike, (text) => {
        expect({ text, accepted: isDateTime(text) }).toEqual({ text, accepted: documented(text) });
      }),
      { numRuns: 5000 },
    );
  });

  it('accepts only what Date reads as an instant', () => {
    fc.assert(
      fc.property(dateTimeLike, (text) => {
        if (isDateTime(text))
          expect({ text, read: Number.isFinite(Date.parse(text)) }).toEqual({ text, read: true });
      }),
      { numRuns: 5000 },
    );
  });

  it('refuses the ISO 8601 forms Date reads wrongly or not at all', () => {
    for (const text of [
      '2026-W01-1',
      '20261205T134000Z',
      '2026-12-05',
      '2026-12-05T13:40:00',
      '2026-02-30T00:00:00Z',
    ]) {
      expect({ text, accepted: isDateTime(text) }).toEqual({ text, accepted: false });
    }
    expect(isDateTime('2024-02-29T23:59:59.999+01:00')).toBe(true);
    expect(isDateTime(20261205)).toBe(false);
  });
});
