/**
 * A keyset cursor over (timestamp to the microsecond, id), opaque to clients: the position after
 * the last row of a page ordered newest first. Every list of the tenant-facing routes pages this way.
 */
export interface KeysetPosition {
  /** Microseconds since the epoch, as text: a JavaScript number would lose precision. */
  micros: string;
  id: string;
}

/** The shape a query DTO accepts before decoding: base64url, bounded. */
export const CURSOR_PATTERN = /^[A-Za-z0-9_-]{1,200}$/;

export function encodeKeysetCursor(position: KeysetPosition): string {
  return Buffer.from(`${position.micros}:${position.id}`, 'utf8').toString('base64url');
}

/** Undefined for a cursor this service did not write. */
export function decodeKeysetCursor(cursor: string): KeysetPosition | undefined {
  const match = /^(\d{1,20}):([0-9a-f-]{36})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? { micros: match[1], id: match[2] } : undefined;
}

/** A timestamp column as whole microseconds since the epoch, exact, as text for JavaScript. */
export const micros = (column: string) => `(extract(epoch FROM ${column}) * 1000000)::bigint`;

/** The SQL of "strictly after the cursor, newest first" for `column` and `idColumn` at parameter `$n`, `$n+1`. */
export function beforeCursor(column: string, idColumn: string, n: number): string {
  return `($${n}::bigint IS NULL OR (${column}, ${idColumn}) < (timestamptz 'epoch' + $${n}::bigint * interval '1 microsecond', $${n + 1}::uuid))`;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** Cuts the one-row look-ahead off and writes the cursor of the next page, if there is one. */
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

/**
 * The SQL of "created within the range at `$n` (from) and `$n+1` (to)", either bound optional.
 * `to` is inclusive to the millisecond a client can write, though the column holds microseconds.
 */
export function createdWithin(column: string, n: number): string {
  return `($${n}::timestamptz IS NULL OR ${column} >= $${n}) AND ($${n + 1}::timestamptz IS NULL OR ${column} < $${n + 1}::timestamptz + interval '1 millisecond')`;
}
