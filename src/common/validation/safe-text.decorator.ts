import { isEmail, ValidateBy, ValidationOptions } from 'class-validator';

const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * PostgreSQL rejects NUL, and an unpaired surrogate is refused by jsonb or silently replaced by U+FFFD in
 * text, so what is stored and sent to Stripe would differ from what was fingerprinted.
 */
export function unsafeTextProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain NUL characters';
  if (UNPAIRED_SURROGATE.test(text)) return 'must not contain unpaired surrogates';
  return undefined;
}

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

/** Checked after the text is safe: `IsEmail` throws on an unpaired surrogate, which would be a 500. */
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
