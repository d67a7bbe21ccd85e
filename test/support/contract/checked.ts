import type { Test } from 'supertest';
import { OpenApiContract } from './openapi-contract';

/**
 * The contract layer of the end-to-end tests: the shared clients pass every request they send
 * through here, so every answer any suite receives from them is checked against
 * docs/openapi.json (`OpenApiContract`), and a test fails on a status, header or body the
 * document does not describe, whatever the test itself asserts.
 */
export function checkedAgainstContract(test: Test, method: string, url: string): Test {
  return test.expect((response) => {
    OpenApiContract.load().check({
      method,
      url,
      status: response.status,
      headers: response.headers,
      text: response.text ?? '',
    });
  });
}
