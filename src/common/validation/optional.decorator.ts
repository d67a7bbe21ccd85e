import { applyDecorators } from '@nestjs/common';
import { ValidateBy, ValidateIf, ValidationOptions } from 'class-validator';

/**
 * Marks a DTO field optional (docs/design/requests.md): an absent field skips validation and takes its
 * default, while an explicit `null` fails. `IsOptional()` skips `null` too, so `dto.amount ?? remaining`
 * would turn `"amount": null` into "refund everything".
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
