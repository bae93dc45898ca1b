/**
 * Request validation with TypeBox's compiled checks instead of fastify's default Ajv:
 *
 * - bodies are checked strictly (no type coercion: `"1"` is not a number, `"a"` is not `["a"]`);
 * - path and query parameters are converted first, strictly (they arrive as strings; `treeSize` is an
 *   integer, and only a canonical decimal such as `57` converts — not `1.5`, `0x10` or `1e3`);
 * - an absent body counts as `{}` when the route's body schema accepts `{}` (all fields optional);
 * - a failure becomes a mero error directly: `InvalidEncoding` when every problem is a base58/hex field
 *   with the wrong characters or length (fields marked with {@link ENCODING_KEYWORD}), else `InvalidInput`
 *   with the list of problems in `details.errors`.
 */
import type { TSchema } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { type ValueError, ValueErrorType } from '@sinclair/typebox/errors'
import type { FastifySchemaCompiler } from 'fastify'
import { InvalidEncoding, InvalidInput, type MeroError } from '../core/errors.ts'
import { ENCODING_KEYWORD } from './schemas.ts'

/** At most this many problems are reported in `details.errors`. */
export const MAX_REPORTED_VALIDATION_ERRORS = 20

const ENCODING_FAILURES = new Set<ValueErrorType>([
  ValueErrorType.StringPattern,
  ValueErrorType.StringMinLength,
  ValueErrorType.StringMaxLength,
])

const INTEGER = /^-?(0|[1-9][0-9]{0,15})$/
const NUMBER = /^-?(0|[1-9][0-9]{0,15})(\.[0-9]{1,16})?$/

/** Which flat properties of a params/query schema need a string → number/boolean conversion. */
function conversions(schema: TSchema): [string, 'integer' | 'number' | 'boolean'][] {
  const props = (schema as { properties?: Record<string, { type?: unknown }> }).properties ?? {}
  const out: [string, 'integer' | 'number' | 'boolean'][] = []
  for (const [key, s] of Object.entries(props))
    if (s.type === 'integer' || s.type === 'number' || s.type === 'boolean') out.push([key, s.type])
  return out
}

/** Strict conversion: only canonical decimal numbers and `true`/`false` convert; anything else stays a string and fails the check. */
function convert(data: unknown, plan: [string, 'integer' | 'number' | 'boolean'][]): unknown {
  if (data === null || typeof data !== 'object') return data
  const out: Record<string, unknown> = { ...(data as Record<string, unknown>) }
  for (const [key, type] of plan) {
    const v = out[key]
    if (typeof v !== 'string') continue
    if (type === 'boolean') {
      if (v === 'true' || v === 'false') out[key] = v === 'true'
    } else if ((type === 'integer' ? INTEGER : NUMBER).test(v)) out[key] = Number(v)
  }
  return out
}

/**
 * The fastify validator compiler of the API (pass to `app.setValidatorCompiler`).
 *
 * @example
 * app.setValidatorCompiler(validatorCompiler)
 */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = TypeCompiler.Compile(schema)
  const part = httpPart ?? 'body'
  const plan = part === 'body' ? [] : conversions(schema)
  const emptyBodyOk = part === 'body' && check.Check({})
  return (data: unknown) => {
    let value = data
    if (plan.length > 0) value = convert(data, plan)
    else if (value == null && emptyBodyOk) value = {}
    if (check.Check(value)) return { value }
    return { error: validationError(part, [...firstErrors(check.Errors(value))]) }
  }
}

function* firstErrors(errors: Iterable<ValueError>): Iterable<ValueError> {
  let n = 0
  for (const e of errors) {
    if (n++ >= MAX_REPORTED_VALIDATION_ERRORS) return
    yield e
  }
}

/** Builds the mero error for failed validation of one request part. */
export function validationError(part: string, errors: ValueError[]): MeroError {
  const list = errors.map((e) => ({ path: `${part}${e.path}`, message: e.message }))
  const first = list[0] ?? { path: part, message: 'invalid' }
  const encoding =
    errors.length > 0 && errors.every((e) => ENCODING_FAILURES.has(e.type) && ENCODING_KEYWORD in e.schema)
  if (encoding) {
    const what = (errors[0]?.schema as Record<string, unknown> | undefined)?.[ENCODING_KEYWORD]
    return new InvalidEncoding(`${first.path} is not valid ${String(what)}`, { details: { errors: list } })
  }
  return new InvalidInput(`${first.path}: ${first.message}`, { details: { errors: list } })
}
