import { isCursorMicros } from '../common/pagination/keyset-cursor';

/** Encodes the admin list's keyset cursor: (received_at in microseconds, event_id), opaque to clients. */
export function encodeCursor(micros: string, eventId: string): string {
  return Buffer.from(`${micros}:${eventId}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): { micros: string; eventId: string } | undefined {
  const match = /^(\d{1,20}):(.{1,255})$/s.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match && isCursorMicros(match[1]) ? { micros: match[1], eventId: match[2] } : undefined;
}
