/** Plain lines on stdout for the operator; logs go to stderr. */
export function printLines(...lines: string[]): void {
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function parsePositiveInteger(flag: string, value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed) || parsed < 1) {
    throw new CliUsageError(`${flag} must be a positive integer (got "${value}")`);
  }
  return parsed;
}

/** A usage mistake: reported as one line, exit code 1. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}
