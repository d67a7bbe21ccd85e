import { types } from 'node:util';

export interface ErrorLike {
  name: string;
  message: string;
  code?: unknown;
}

/** Duck-typed: in some hosts (test VMs) Node's socket errors fail `instanceof Error`. */
export function asErrorLike(error: unknown): ErrorLike | undefined {
  if (error instanceof Error || types.isNativeError(error)) return error;
  if (typeof error === 'object' && error !== null && typeof (error as ErrorLike).message === 'string') {
    const { name, message, code } = error as ErrorLike;
    return { name: typeof name === 'string' ? name : 'Error', message, code };
  }
  return undefined;
}

/** What a log line may say about an error: never a stack, SQL or parameters. */
export function describeError(error: unknown): { type: string; message: string; code?: unknown } {
  const like = asErrorLike(error);
  return like
    ? { type: like.name, message: like.message, code: like.code }
    : { type: typeof error, message: String(error) };
}
