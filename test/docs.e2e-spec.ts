import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  catalogEntries,
  ERROR_CATALOG_PATH,
  ERROR_CODE_SOURCES,
  ERROR_MEANINGS,
  ErrorCodeSource,
  renderErrorCatalog,
} from '../scripts/error-catalog';
import { EnvironmentVariables } from '../src/config/environment-variables';
import { headingAnchors, linkProblems, linksIn, repositoryFiles } from './support/markdown-links';

const ROOT = resolve(__dirname, '..');
const read = (file: string) => readFileSync(resolve(ROOT, file), 'utf8');

const files = repositoryFiles(ROOT);
const markdownFiles = files.filter((file) => file.endsWith('.md'));

/** The README is the way in; reference material lives in docs/. */
const README_MAX_LINES = 150;

describe('docs/errors.md', () => {
  it(`is what \`npm run docs:errors\` writes from the code`, () => {
    const expected = renderErrorCatalog();
    if (read(ERROR_CATALOG_PATH) === expected) return;
    expect({ [ERROR_CATALOG_PATH]: read(ERROR_CATALOG_PATH) }).toEqual({
      [`${ERROR_CATALOG_PATH} (run \`npm run docs:errors\` and commit it)`]: expected,
    });
  });

  it('lists every code of every module, each with its status', () => {
    const listed = catalogEntries().map(({ code, status }) => [code, status]);
    const declared = ERROR_CODE_SOURCES.flatMap(({ statuses }) => Object.entries(statuses));
    expect(listed.sort()).toEqual([...new Map(declared).entries()].sort());
  });

  it('refuses a code without a meaning, a meaning of no code, and one code with two statuses', () => {
    const sources: ErrorCodeSource[] = [
      { file: 'src/a/a-error-code.ts', statuses: { A_GONE: 404, SHARED: 409 } },
      { file: 'src/b/b-error-code.ts', statuses: { SHARED: 422 } },
    ];
    expect(() => catalogEntries(sources, { SHARED: 'Shared.', STALE: 'No code has it.' })).toThrow(
      [
        'The error catalog is incomplete:',
        '- SHARED maps to 409 in src/a/a-error-code.ts and to 422 in src/b/b-error-code.ts',
        '- A_GONE has no meaning in scripts/error-catalog.ts',
        '- the meaning of STALE names no code of any module',
      ].join('\n'),
    );
    expect(() => catalogEntries(ERROR_CODE_SOURCES, ERROR_MEANINGS)).not.toThrow();
  });
});

describe('docs/configuration.md', () => {
  const defaults = Object.entries(
    new EnvironmentVariables() as unknown as Record<string, string | number | boolean | undefined>,
  );
  /** The variables table: each row's variable and its default cell. */
  const documented = new Map(
    read('docs/configuration.md')
      .split('\n')
      .map((line) => /^\| `([A-Z0-9_]+)` +\| ([^|]*?) +\|/.exec(line))
      .filter((match) => match !== null)
      .map((match) => [match[1], match[2]]),
  );

  it('lists every variable the service reads, and no other', () => {
    expect([...documented.keys()].sort()).toEqual(defaults.map(([name]) => name).sort());
  });

  it('gives each variable its default', () => {
    for (const [name, value] of defaults) {
      if (value === undefined || value === '') continue;
      expect({ name, default: documented.get(name) }).toEqual({ name, default: `\`${String(value)}\`` });
    }
  });

  it('agrees with .env.example, which sets each variable to its default or leaves it empty', () => {
    const example = read('.env.example')
      .split('\n')
      .filter((line) => /^[A-Z]/.test(line))
      .map((line) => line.split('=', 2) as [string, string]);
    expect(example.map(([name]) => name).sort()).toEqual(defaults.map(([name]) => name).sort());
    for (const [name, value] of example) {
      expect({ name, value }).toEqual({ name, value: String(new Map(defaults).get(name) ?? '') });
    }
  });
});

describe('Documentation links', () => {
  it('covers the README and the docs', () => {
    expect(markdownFiles).toEqual(
      expect.arrayContaining([
        'README.md',
        'docs/configuration.md',
        'docs/operations.md',
        ERROR_CATALOG_PATH,
      ]),
    );
  });

  it.each(markdownFiles)('%s links only inside the repository, or to https:// pages', (file) => {
    expect(linkProblems(ROOT, file, read(file))).toEqual([]);
  });

  it('finds every broken kind of link', () => {
    const markdown = [
      '# Title with `code`, and punctuation!',
      '',
      '[ok](#title-with-code-and-punctuation) [ok](docs/errors.md) [ok](https://example.com/x)',
      '[missing](docs/nothing-here.md) [anchor](README.md#no-such-heading) [plain](http://example.com)',
      '[outside](../elsewhere/file.md) [absolute](/README.md) <mailto:someone@example.com>',
      'A bare http://127.0.0.1:3000 is a link too; `http://127.0.0.1:3000` in code is not.',
      '',
      '```sh',
      'curl http://127.0.0.1:3000/health  # [not a link](nowhere.md)',
      '```',
    ].join('\n');
    expect(linkProblems(ROOT, 'README.md', markdown)).toEqual([
      'README.md:4: docs/nothing-here.md names no file of the repository',
      'README.md:4: README.md#no-such-heading names no heading of README.md',
      'README.md:4: http://example.com leaves the repository other than by https://',
      'README.md:5: ../elsewhere/file.md points outside the repository',
      'README.md:5: /README.md is absolute; links are relative to the file',
      'README.md:5: mailto:someone@example.com leaves the repository other than by https://',
      'README.md:6: http://127.0.0.1:3000 leaves the repository other than by https://',
    ]);
    expect(linksIn(markdown)).toHaveLength(10);
  });

  it('names headings as GitHub does', () => {
    const anchors = headingAnchors(
      [
        '# Fastify over Express',
        '## `WORKER_MODE` and scaling out',
        '## Logs',
        '## Logs',
        '```',
        '# not one',
        '```',
      ].join('\n'),
    );
    expect([...anchors]).toEqual(['fastify-over-express', 'worker_mode-and-scaling-out', 'logs', 'logs-1']);
  });
});

describe('The repository stands on its own', () => {
  // Spelled in pieces, so that this file does not name them itself.
  const contract = ['SP', 'EC'].join('');
  const outsideReferences = [['..', 'shared'].join('/'), `${contract}.md`];

  it.each(outsideReferences)('no file mentions %s', (needle) => {
    const mentioning = files.filter((file) => {
      const text = readFileSync(resolve(ROOT, file));
      return !text.includes(0) && text.toString('utf8').includes(needle);
    });
    expect(mentioning).toEqual([]);
  });

  it('the README and the docs cite no outside contract by section', () => {
    const citing = markdownFiles.filter((file) => new RegExp(`\\b${contract}\\s*§`).test(read(file)));
    expect(citing).toEqual([]);
  });

  it(`keeps the README a way in: ${README_MAX_LINES} lines at most`, () => {
    expect(read('README.md').trimEnd().split('\n').length).toBeLessThanOrEqual(README_MAX_LINES);
  });
});
