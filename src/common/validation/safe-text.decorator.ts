import { isEmail, ValidateBy, ValidationOptions } from 'class-validator';

const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why a string cannot be stored and sent on as it is, or undefined when it can. PostgreSQL
 * rejects NUL in `text` and `jsonb`, and an unpaired UTF-16 surrogate is either refused (jsonb)
 * or silently replaced by U+FFFD (text): what the fingerprint covers would then differ from what
 * is stored and sent to Stripe.
 */
export function unsafeTextProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain NUL characters';
  if (UNPAIRED_SURROGATE.test(text)) return 'must not contain unpaired surrogates';
  return undefined;
}

/** A string PostgreSQL stores and Stripe receives exactly as sent. Non-strings pass (IsString decides). */
export function IsSafeText(validationOptions?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isSafeText',
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || unsafeTextProblem(value) === undefined,
        defaultMessage: (args) =>
          `${args?.property ?? 'text'} ${typeof args?.value === 'string' ? (unsafeTextProblem(args.value) ?? '') : ''}`.trim(),
      },
    },
    validationOptions,
  );
}

/**
 * An email address, checked only once it is safe text: class-validator's `IsEmail` (validator.js)
 * throws a URIError on an unpaired surrogate instead of answering false, which would be a 500.
 */
export function IsSafeEmail(validationOptions?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isSafeEmail',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && unsafeTextProblem(value) === undefined && isEmail(value),
        defaultMessage: (args) => `${args?.property ?? 'email'} must be an email`,
      },
    },
    validationOptions,
  );
}
