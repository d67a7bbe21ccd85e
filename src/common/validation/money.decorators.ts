import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiPropertyOptions } from '@nestjs/swagger';
import {
  IsIn,
  IsInt,
  IsObject,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidationOptions,
} from 'class-validator';
import { SUPPORTED_CURRENCIES } from './currency';
import { MAX_AMOUNT } from './money';
import { jsonSchemaPattern } from './json-schema-pattern';
import { IsOptionalNotNull } from './optional.decorator';
import { IsSafeText, unsafeTextProblem } from './safe-text.decorator';

/** An integer amount in the currency's minor unit, 1–MAX_AMOUNT (docs/design/requests.md). */
export const IsAmount = (options: { optional?: boolean } = {}) =>
  applyDecorators(
    ...(options.optional ? [IsOptionalNotNull()] : []),
    IsInt({ message: '$property must be an integer in minor units' }),
    Min(1),
    Max(MAX_AMOUNT),
    (options.optional ? ApiPropertyOptional : ApiProperty)({
      type: 'integer',
      minimum: 1,
      maximum: MAX_AMOUNT,
      description: 'Minor units (cents; yen for zero-decimal currencies)',
    }),
  );

export const IsCurrency = () =>
  applyDecorators(
    IsString(),
    IsSafeText(),
    IsIn(SUPPORTED_CURRENCIES, { message: '$property must be a supported lowercase ISO 4217 code' }),
    ApiProperty({ enum: SUPPORTED_CURRENCIES, example: 'usd' }),
  );

/** Stripe ids: a prefix (`pm`, `cus`), `_`, then 1–250 of `[A-Za-z0-9_]`. */
export const stripeIdRegExp = (prefix: string): RegExp => new RegExp(`^${prefix}_[A-Za-z0-9_]{1,250}$`);

export const IsStripeId = (prefix: string, options: { optional?: boolean; example?: string } = {}) =>
  applyDecorators(
    ...(options.optional ? [IsOptionalNotNull()] : []),
    IsString(),
    IsSafeText(),
    Matches(stripeIdRegExp(prefix), { message: `$property must be a ${prefix}_… id` }),
    (options.optional ? ApiPropertyOptional : ApiProperty)({
      type: 'string',
      pattern: jsonSchemaPattern(stripeIdRegExp(prefix)),
      example: options.example ?? `${prefix}_123`,
    }),
  );

export const MAX_DESCRIPTION_LENGTH = 1000;

export const IsDescription = () =>
  applyDecorators(
    IsOptionalNotNull(),
    IsString(),
    IsSafeText(),
    MaxLength(MAX_DESCRIPTION_LENGTH),
    ApiPropertyOptional({ type: 'string', maxLength: MAX_DESCRIPTION_LENGTH, example: 'Order #1042' }),
  );

/** Keys the service writes into Stripe metadata itself; clients may not use the prefix. */
export const RESERVED_METADATA_PREFIX = 'ps_';
export const MAX_METADATA_KEYS = 40;
export const MAX_METADATA_KEY_LENGTH = 40;
export const MAX_METADATA_VALUE_LENGTH = 500;
/** Stripe refuses square brackets in metadata keys. */
const METADATA_KEY_FORBIDDEN_CHARS = '[]';

const METADATA_SCHEMA = {
  type: 'object',
  maxProperties: MAX_METADATA_KEYS,
  propertyNames: {
    minLength: 1,
    maxLength: MAX_METADATA_KEY_LENGTH,
    pattern: `^(?!${escapeRegExp(RESERVED_METADATA_PREFIX)})[^${escapeRegExp(METADATA_KEY_FORBIDDEN_CHARS)}]*$`,
  },
  additionalProperties: { type: 'string', maxLength: MAX_METADATA_VALUE_LENGTH },
  description: `Up to ${MAX_METADATA_KEYS} string pairs; keys 1–${MAX_METADATA_KEY_LENGTH} chars without square brackets, not starting with "${RESERVED_METADATA_PREFIX}"; values ≤ ${MAX_METADATA_VALUE_LENGTH} chars`,
  example: { orderId: 'ord_1042' },
};

/** Stripe's metadata limits, leaving room for the keys the service adds. */
export function IsStripeMetadata(validationOptions?: ValidationOptions): PropertyDecorator {
  return applyDecorators(
    IsOptionalNotNull(),
    IsObject(),
    ValidateBy(
      {
        name: 'isStripeMetadata',
        validator: {
          validate: (value: unknown) => metadataProblem(value) === undefined,
          defaultMessage: (args) =>
            `${args?.property ?? 'metadata'} ${metadataProblem(args?.value) ?? 'is invalid'}`,
        },
      },
      validationOptions,
    ),
    ApiPropertyOptional(METADATA_SCHEMA as ApiPropertyOptions),
  );
}

function metadataProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'must be an object';
  const entries = Object.entries(value);
  if (entries.length > MAX_METADATA_KEYS) return `must have at most ${MAX_METADATA_KEYS} keys`;
  for (const [key, item] of entries) {
    if (
      key.length < 1 ||
      key.length > MAX_METADATA_KEY_LENGTH ||
      [...METADATA_KEY_FORBIDDEN_CHARS].some((char) => key.includes(char))
    )
      return `key "${key.slice(0, 40)}" is not allowed`;
    if (key.startsWith(RESERVED_METADATA_PREFIX))
      return `keys may not start with "${RESERVED_METADATA_PREFIX}"`;
    const keyProblem = unsafeTextProblem(key);
    if (keyProblem) return `keys ${keyProblem}`;
    if (typeof item !== 'string' || item.length > MAX_METADATA_VALUE_LENGTH)
      return `value of "${key}" must be a string of at most ${MAX_METADATA_VALUE_LENGTH} chars`;
    const valueProblem = unsafeTextProblem(item);
    if (valueProblem) return `value of "${key}" ${valueProblem}`;
  }
  return undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|-]/g, '\\$&');
}
