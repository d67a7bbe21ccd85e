import { ParseUUIDPipe } from '@nestjs/common';
import { isUUID } from 'class-validator';
import fc from 'fast-check';
import { jsonSchemaPattern, unanchored } from './json-schema-pattern';
import { UUID_REGEXP, UUID_SCHEMA } from './uuid';

/** Strings shaped like UUIDs (any version and variant nibble, any letter case), and some that are not. */
const uuidLike = fc.oneof(
  fc
    .uuid({ version: [1, 2, 3, 4, 5, 6, 7, 8, 15] })
    .chain((uuid) =>
      fc
        .array(fc.boolean(), { minLength: uuid.length, maxLength: uuid.length })
        .map((upper) => [...uuid].map((char, i) => (upper[i] ? char.toUpperCase() : char)).join('')),
    ),
  fc.constantFrom(
    '00000000-0000-0000-0000-000000000000',
    'FFFFFFFF-ffff-FFFF-ffff-FFFFFFFFFFFF',
    '6f1c2a4e-8a0b-0c5d-9e2f-1a2b3c4d5e6f',
    '6f1c2a4e-8a0b-4c5d-7e2f-1a2b3c4d5e6f',
  ),
  fc.string(),
);

describe(jsonSchemaPattern.name, () => {
  it('spells each letter of a case-insensitive regex in both cases', () => {
    expect(jsonSchemaPattern(/^[0-9a-f]{2}-[89AB]x\d$/i)).toBe('^[0-9a-fA-F]{2}-[89ABab][xX]\\d$');
  });

  it('keeps a case-sensitive regex as it is, and refuses flags a pattern cannot say', () => {
    expect(jsonSchemaPattern(/^pm_[A-Za-z0-9_]{1,250}$/)).toBe('^pm_[A-Za-z0-9_]{1,250}$');
    expect(() => jsonSchemaPattern(/a/g)).toThrow('flags "g"');
  });

  it('drops the anchors to compose a pattern', () => {
    expect(unanchored('^(?:a|b)$')).toBe('(?:a|b)');
  });

  it("states the UUIDs the path pipe and class-validator's isUUID accept, and no other", async () => {
    const pipe = new ParseUUIDPipe();
    const pattern = new RegExp(UUID_SCHEMA.pattern, 'u');
    await fc.assert(
      fc.asyncProperty(uuidLike, async (text) => {
        const accepted = await pipe.transform(text, { type: 'param' }).then(
          () => true,
          () => false,
        );
        expect({ text, pattern: pattern.test(text) }).toEqual({ text, pattern: accepted });
        expect({ text, isUUID: isUUID(text) }).toEqual({ text, isUUID: accepted });
        expect(UUID_REGEXP.test(text)).toBe(accepted);
      }),
      { numRuns: 2000 },
    );
  });
});
