/** Writes docs/ERRORS.md from the error catalogue. */
import { writeFile } from 'node:fs/promises'
import { renderErrorsDoc } from '../src/core/errors-doc.ts'

await writeFile(new URL('../docs/ERRORS.md', import.meta.url), renderErrorsDoc())
console.log('docs/ERRORS.md written')
