import { applyDecorators } from '@nestjs/common';
import { ValidateBy, ValidateIf, ValidationOptions } from 'class-validator';

/**
 * An absent field takes its default, but an explicit `null` fails (docs/design/requests.md). `IsOptional()`
 * skips `null` too, which would turn `"amount": null` into "refund everything".
 */
export const IsOptionalNotNull = (validationOptions?: ValidationOptions) =>
  applyDecorators(
    ValidateIf((_object: object, value: unknown) => value !== undefined),
    ValidateBy(
      {
        name: 'isNotNull',
        validator: {
          validate: (value: unknown) => value !== null,
          defaultMessage: (args) => `${args?.property ?? 'field'} may be omitted but not null`,
        },
      },
      validationOptions,
    ),
  );
