import { IsString } from 'class-validator';
import { validationExceptionFactory } from '../errors/validation-exception.factory';
import { IsOptionalNotNull } from './optional.decorator';
import { IsSafeText, unsafeTextProblem } from './safe-text.decorator';
import { StrictValidationPipe } from './strict-validation.pipe';

class NoteDto {
  @IsOptionalNotNull()
  @IsString()
  @IsSafeText()
  note?: string;
}

describe(StrictValidationPipe.name, () => {
  const pipe = new StrictValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: validationExceptionFactory,
  });
  const run = (json: string) => pipe.transform(JSON.parse(json), { type: 'body', metatype: NoteDto });
  const fieldsOf = async (json: string): Promise<string[]> => {
    try {
      await run(json);
      return [];
    } catch (error) {
      return ((error as { details: { fields: Array<{ field: string }> } }).details.fields ?? []).map(
        ({ field }) => field,
      );
    }
  };

  it('lets an absent optional field take its default and refuses an explicit null', async () => {
    await expect(run('{}')).resolves.toEqual(new NoteDto());
    await expect(fieldsOf('{"note":null}')).resolves.toEqual(['note']);
  });

  it('refuses prototype keys at any depth, judged on the raw value', async () => {
    await expect(fieldsOf('{"__proto__":{"note":"x"}}')).resolves.toEqual(['__proto__']);
    await expect(fieldsOf('{"constructor":{"prototype":{}}}')).resolves.toEqual([
      'constructor',
      'constructor.prototype',
    ]);
  });

  it('refuses unknown keys and a body that is not an object', async () => {
    await expect(fieldsOf('{"note":"a","extra":1}')).resolves.toEqual(['extra']);
    await expect(fieldsOf('[1]')).resolves.toEqual(['body']);
  });

  it('survives a deeply nested value', async () => {
    const deep = `{"x":${'['.repeat(20000)}${']'.repeat(20000)}}`;
    await expect(fieldsOf(deep)).resolves.toEqual(['x']);
  });
});

describe('unsafeTextProblem', () => {
  it.each([
    ['a\u0000b', 'must not contain NUL characters'],
    ['\ud800', 'must not contain unpaired surrogates'],
    ['x\udc00', 'must not contain unpaired surrogates'],
    ['\udc00\ud800', 'must not contain unpaired surrogates'],
  ])('names what is wrong with %j', (text, problem) => {
    expect(unsafeTextProblem(text)).toBe(problem);
  });

  it('accepts well-formed text, astral characters included', () => {
    expect(unsafeTextProblem('💳 café')).toBeUndefined();
  });
});
