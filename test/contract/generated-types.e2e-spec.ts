import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { OPENAPI_DOCUMENT_PATH } from '../../src/common/openapi/openapi-document';

const ROOT = resolve(__dirname, '../..');
const GENERATED = 'test/contract/generated/payment-service.ts';

describe('The generated client types', () => {
  it(`are what openapi-typescript writes from ${OPENAPI_DOCUMENT_PATH} (run \`npm run openapi\`)`, () => {
    const folder = mkdtempSync(join(tmpdir(), 'openapi-types-'));
    try {
      const written = join(folder, 'payment-service.ts');
      execFileSync(
        join(ROOT, 'node_modules/.bin/openapi-typescript'),
        [OPENAPI_DOCUMENT_PATH, '--output', written],
        { cwd: ROOT, stdio: 'pipe' },
      );
      const committed = readFileSync(join(ROOT, GENERATED), 'utf8');
      if (readFileSync(written, 'utf8') !== committed) {
        throw new Error(
          `${GENERATED} no longer matches ${OPENAPI_DOCUMENT_PATH}: run \`npm run openapi\` and commit it.`,
        );
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
