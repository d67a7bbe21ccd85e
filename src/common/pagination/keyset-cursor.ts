import { UUID_REGEXP } from '../validation/uuid';

/** The position after a page's last row, newest first; opaque to clients. */
export interface KeysetPosition {
  /** Microseconds since the epoch, as text: a JavaScript number would lose precision. */
  micros: string;
  id: string;
}

export const CURSOR_PATTERN = /^[A-Za-z0-9_-]{1,200}$/;

export function encodeKeysetCursor(position: KeysetPosition): string {
  return Buffer.from(`${position.micros}:${position.id}`, 'utf8').toString('base64url');
}

/** 9999-12-31T23:59:59.999999Z: past it, PostgreSQL's bigint or timestamp arithmetic would overflow. */
const MAX_CURSOR_MICROS = 253402300799999999n;

/** Whether `digits` is a time a row can have, in microseconds since the epoch. */
export function isCursorMicros(digits: string): boolean {
  return /^\d{1,20}$/.test(digits) && BigInt(digits) <= MAX_CURSOR_MICROS;
}

/** Undefined for a cursor this service did not write: its position must be one a row can have. */
export function decodeKeysetCursor(cursor: string): KeysetPosition | undefined {
  const match = /^(\d{1,20}):(.{36})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match || !isCursorMicros(match[1]) || !UUID_REGEXP.test(match[2])) return undefined;
  return { micros: match[1], id: match[2] };
}

export const micros = (column: string) => `(extract(epoch FROM ${column}) * 1000000)::bigint`;

/** Rows after the cursor in newest-first order; binds `$n` (micros) and `$n+1` (id). */
export function beforeCursor(column: string, idColumn: string, n: number): string {
  return `($${n}::bigint IS NULL OR (${column}, ${idColumn}) < (timestamptz 'epoch' + $${n}::bigint * interval '1 microsecond', $${n + 1}::uuid))`;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** Callers fetch `limit + 1` rows: the extra one only tells whether a next page exists. */
export function pageOf<Row extends { cursor_micros: string; id: string }, T>(
  rows: Row[],
  limit: number,
  map: (row: Row) => T,
): Page<T> {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    data: page.map(map),
    nextCursor:
      rows.length > limit && last ? encodeKeysetCursor({ micros: last.cursor_micros, id: last.id }) : null,
  };
}

/** `$n` is from and `$n+1` to, either optional; `to` includes every microsecond of its millisecond. */
export function createdWithin(column: string, n: number): string {
  return `($${n}::timestamptz IS NULL OR ${column} >= $${n}) AND ($${n + 1}::timestamptz IS NULL OR ${column} < $${n + 1}::timestamptz + interval '1 millisecond')`;
}
