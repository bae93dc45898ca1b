/** Renders `docs/ERRORS.md` from the error catalogue (`npm run docs:errors` writes it; a test compares). */
import { errorCatalogue, httpStatusOf } from './errors.ts'

/** The Markdown catalogue of every error name. */
export function renderErrorsDoc(): string {
  const rows = errorCatalogue().map((e) => `| \`${e.name}\` | ${httpStatusOf(e.kind)} | ${e.description} |`)
  return [
    '# Errors',
    '',
    'Every error mero raises on purpose has a stable `name` (never changed once released). HTTP routes answer',
    '`{"error": {"name", "message", "details"}}` with the status below; JSON-RPC answers carry the name in',
    '`error.data.name`. This file is generated from `src/core/errors.ts` by `npm run docs:errors`, and a test',
    'fails when the two differ.',
    '',
    '| name | HTTP | meaning |',
    '|---|---|---|',
    ...rows,
    '',
  ].join('\n')
}
