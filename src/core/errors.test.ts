import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { test } from 'node:test'
import { errorCatalogue, httpStatusOf, InvalidEncoding, isMeroError, MeroError } from './errors.ts'
import { renderErrorsDoc } from './errors-doc.ts'

test('docs/ERRORS.md equals the catalogue (run `npm run docs:errors` after adding an error)', async () => {
  const doc = await readFile(new URL('../../docs/ERRORS.md', import.meta.url), 'utf8')
  assert.equal(doc, renderErrorsDoc())
})

test('error names are unique, literal and map to a status', () => {
  const names = errorCatalogue().map((e) => e.name)
  assert.equal(new Set(names).size, names.length)
  for (const e of errorCatalogue()) assert.ok(httpStatusOf(e.kind) >= 400)
  const err = new InvalidEncoding('bad', { details: { what: 'x' } })
  assert.ok(err instanceof MeroError && isMeroError(err))
  assert.equal(err.name, 'InvalidEncoding')
  assert.deepEqual(err.toJSON(), { name: 'InvalidEncoding', message: 'bad', details: { what: 'x' } })
})
