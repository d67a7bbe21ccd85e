import { applyDecorators } from '@nestjs/common';
import { ValidateBy, ValidateIf, ValidationOptions } from 'class-validator';

/**
 * The one way to mark a DTO field optional (docs/design/requests.md): an ABSENT field skips validation and takes
 * its default, an explicit `null` fails. class-validator's `IsOptional()` skips `null` too, so a
 * service reading `dto.amount ?? remaining` would turn `"amount": null` into "refund everything".
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
