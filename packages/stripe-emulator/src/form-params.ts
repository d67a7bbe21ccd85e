import type { ParsedQs } from 'qs';
import { parameterInvalid, parameterMissing } from './stripe-api-error';
import type { Metadata } from './stripe-emulator.types';

export type FormParams = ParsedQs;

/** Stripe's own upper bound for an amount in the smallest currency unit. */
const MAX_AMOUNT = 99_999_999;

export function optionalString(params: FormParams, name: string): string | null {
  const value = params[name];
  if (value === undefined || value === '') return null;
  if (typeof value !== 'string') throw parameterInvalid(name, `Invalid string: ${name} must be a string.`);
  return value;
}

export function requiredString(params: FormParams, name: string): string {
  const value = optionalString(params, name);
  if (value === null) throw parameterMissing(name);
  return value;
}

/** A non-negative integer; `param` names it in errors when it is nested, e.g. `created[gte]`. */
export function optionalInteger(params: FormParams, name: string, param = name): number | null {
  const raw = optionalString(params, name);
  if (raw === null) return null;
  if (!/^\d+$/.test(raw))
    throw parameterInvalid(param, `Invalid integer: ${raw}`, 'parameter_invalid_integer');
  return Number(raw);
}

export function optionalAmount(params: FormParams, name: string): number | null {
  const amount = optionalInteger(params, name);
  if (amount === null) return null;
  if (amount < 1) throw parameterInvalid(name, 'Amount must be at least 1.', 'amount_too_small');
  if (amount > MAX_AMOUNT) {
    throw parameterInvalid(name, `Amount must be no more than ${MAX_AMOUNT}.`, 'amount_too_large');
  }
  return amount;
}

export function requiredAmount(params: FormParams, name: string): number {
  const amount = optionalAmount(params, name);
  if (amount === null) throw parameterMissing(name);
  return amount;
}

export function requiredCurrency(params: FormParams, name: string): string {
  const currency = requiredString(params, name);
  if (!/^[a-zA-Z]{3}$/.test(currency)) {
    throw parameterInvalid(name, `Invalid currency: ${currency}. Use a three-letter ISO currency code.`);
  }
  return currency.toLowerCase();
}

export function optionalBoolean(params: FormParams, name: string): boolean | null {
  const raw = optionalString(params, name);
  if (raw === null) return null;
  if (raw !== 'true' && raw !== 'false') throw parameterInvalid(name, `Invalid boolean: ${raw}`);
  return raw === 'true';
}

export function optionalEnum<T extends string>(
  params: FormParams,
  name: string,
  allowed: readonly T[],
): T | null {
  const raw = optionalString(params, name);
  if (raw === null) return null;
  const match = allowed.find((candidate) => candidate === raw);
  if (match === undefined) {
    throw parameterInvalid(name, `Invalid ${name}: must be one of ${allowed.join(', ')}.`);
  }
  return match;
}

export function nestedParams(params: FormParams, name: string): FormParams | null {
  const value = params[name];
  if (value === undefined || value === '') return null;
  if (typeof value === 'string' || Array.isArray(value)) {
    throw parameterInvalid(name, `Invalid object: ${name} must be a hash.`);
  }
  return value;
}

export function metadataParam(params: FormParams): Metadata {
  const raw = nestedParams(params, 'metadata');
  if (raw === null) return {};
  const metadata: Metadata = {};
  for (const key of Object.keys(raw)) {
    const value = optionalString(raw, key);
    // Stripe treats an empty value as "unset this key".
    if (value !== null) metadata[key] = value;
  }
  if (Object.keys(metadata).length > 50) {
    throw parameterInvalid('metadata', 'Metadata can have at most 50 keys.');
  }
  return metadata;
}
