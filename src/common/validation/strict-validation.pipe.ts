import { ArgumentMetadata, Injectable, Type, ValidationPipe, ValidationPipeOptions } from '@nestjs/common';
import { getMetadataStorage, ValidationError } from 'class-validator';

/** Keys that reach an object's prototype when copied by assignment; never legitimate input. */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Checks the raw body first (docs/design/requests.md): Nest's pipe strips `__proto__` and `constructor`
 * before `forbidNonWhitelisted` sees them, yet the idempotency fingerprint included them.
 */
@Injectable()
export class StrictValidationPipe extends ValidationPipe {
  constructor(options: ValidationPipeOptions) {
    super(options);
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const { metatype } = metadata;
    if (metatype && this.toValidate(metadata) && (metadata.type === 'body' || metadata.type === 'query')) {
      const errors = rawValueErrors(value, metatype, metadata.type);
      if (errors.length > 0) throw await this.exceptionFactory(errors);
    }
    return super.transform(value, metadata);
  }
}

function rawValueErrors(value: unknown, metatype: Type<unknown>, type: 'body' | 'query'): ValidationError[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'object' || Array.isArray(value)) {
    return [fieldError(type, `${type} must be a JSON object`)];
  }
  const known = new Set(
    getMetadataStorage()
      .getTargetValidationMetadatas(metatype, '', false, false)
      .map((rule) => rule.propertyName),
  );
  const unknownKeys = Object.keys(value)
    .filter((key) => !known.has(key) && !PROTOTYPE_KEYS.has(key))
    .map((key) => fieldError(key, `property ${key} should not exist`));
  return [...prototypeKeyErrors(value), ...unknownKeys];
}

/** Iterative, so deep nesting cannot overflow the stack. */
function prototypeKeyErrors(root: object): ValidationError[] {
  const errors: ValidationError[] = [];
  const pending: Array<{ path: string; node: object }> = [{ path: '', node: root }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    for (const key of Object.keys(next.node)) {
      const path = next.path ? `${next.path}.${key}` : key;
      if (PROTOTYPE_KEYS.has(key)) errors.push(fieldError(path, `property ${path} is not allowed`));
      const child: unknown = (next.node as Record<string, unknown>)[key];
      if (typeof child === 'object' && child !== null) pending.push({ path, node: child });
    }
  }
  return errors;
}

function fieldError(property: string, message: string): ValidationError {
  return Object.assign(new ValidationError(), { property, constraints: { rawBody: message }, children: [] });
}
