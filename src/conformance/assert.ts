/**
 * Assertions of the suite, on `node:assert` only: the suite works under any test runner (or
 * none) and its failures are plain `AssertionError`s naming what differed.
 *
 * @module
 */
import { strict as assert } from "node:assert";

export { assert };

/** What a rejection must carry: a stable `code`, and for validation errors the `param` named. */
export interface ExpectedError {
  code: string;
  param?: string;
}

/** Awaits `promise` and asserts that it rejects with an error carrying `expected`'s fields. */
export async function rejects(promise: Promise<unknown>, expected: ExpectedError, what: string): Promise<void> {
  let outcome: { error: unknown } | undefined;
  try {
    await promise;
  } catch (error) {
    outcome = { error };
  }
  if (!outcome) assert.fail(`${what}: expected a rejection with code ${expected.code}, but it resolved`);
  const error = outcome.error as { code?: unknown; param?: unknown; message?: unknown } | null;
  const described = `${what}: rejected with ${String((error as { name?: unknown })?.name ?? typeof error)} ${JSON.stringify({ code: error?.code, param: error?.param })} (${String(error?.message)})`;
  assert.equal(error?.code, expected.code, described);
  if (expected.param !== undefined) assert.equal(error?.param, expected.param, described);
}
