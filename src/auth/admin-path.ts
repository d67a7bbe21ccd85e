/**
 * Decided on a normalised path rather than strict routing: routes match in any letter case and with a
 * trailing slash, and a proxy or any hop may collapse `//`, resolve `/./` or decode `%XX`. Over-matching is
 * harmless: a spelling no handler serves is a 404.
 */
export function isAdminPath(url: string): boolean {
  return normalisedSegments(url)[0] === 'admin';
}

const MAX_DECODE_ROUNDS = 8;

export function normalisedSegments(url: string): string[] {
  let path = url.split(/[?#]/, 1)[0] ?? '';
  for (let round = 0; round < MAX_DECODE_ROUNDS; round += 1) {
    const decoded = path.replace(/%([0-9a-f]{2})/gi, (_, hex: string) =>
      String.fromCharCode(Number.parseInt(hex, 16)),
    );
    if (decoded === path) break;
    path = decoded;
  }
  const segments: string[] = [];
  for (const segment of path.replace(/\\/g, '/').toLowerCase().split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  return segments;
}
