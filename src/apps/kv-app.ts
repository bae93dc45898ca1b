/**
 * The built-in key-value application (id `kv`) over the context's LWW register map.
 * Methods: `set {key, value}`, `get {key}`, `remove {key}`, `entries {}`. Values are any JSON value.
 */
import { InvalidInput, PayloadTooLarge, UnknownMethod } from '../core/errors.ts'
import { type CrdtValue, isCrdtValue } from '../crdt/crdt-op.ts'
import { encodeCanonical } from '../dag/canonical-cbor.ts'
import type { App, AppCallContext, AppCallResult } from './app.ts'

/** The application id of the built-in key-value app. */
export const KV_APP_ID = 'kv'

function argsObject(args: unknown, fields: string[], method: string): Record<string, unknown> {
  const a = args ?? {}
  if (typeof a !== 'object' || Array.isArray(a))
    throw new InvalidInput(`${method} expects an object argument`)
  const o = a as Record<string, unknown>
  const extra = Object.keys(o).filter((k) => !fields.includes(k))
  if (extra.length > 0)
    throw new InvalidInput(`${method} does not take ${extra.join(', ')}`, { details: { unexpected: extra } })
  return o
}

function key(o: Record<string, unknown>, ctx: AppCallContext): string {
  const k = o.key
  if (typeof k !== 'string' || k.length === 0) throw new InvalidInput('key must be a non-empty string')
  const n = Buffer.byteLength(k, 'utf8')
  if (n > ctx.limits.keyBytes)
    throw new PayloadTooLarge(`key is ${n} bytes, limit ${ctx.limits.keyBytes}`, {
      details: { limit: 'keyBytes', size: n },
    })
  return k
}

function value(o: Record<string, unknown>, ctx: AppCallContext): CrdtValue {
  const v = o.value
  if (!Object.hasOwn(o, 'value') || v === undefined || !isCrdtValue(v) || v instanceof Uint8Array)
    throw new InvalidInput('value must be a JSON value')
  const n = encodeCanonical(v).length
  if (n > ctx.limits.valueBytes)
    throw new PayloadTooLarge(`value is ${n} bytes, limit ${ctx.limits.valueBytes}`, {
      details: { limit: 'valueBytes', size: n },
    })
  return v
}

/**
 * Creates the key-value app.
 *
 * @example
 * const app = kvApp()
 * app.call(ctx, 'set', { key: 'a', value: 'b' }) // { output: null, ops: [{ t: 'lww.set', k: 'a', v: 'b' }] }
 */
export function kvApp(): App {
  return {
    id: KV_APP_ID,
    call(ctx: AppCallContext, method: string, args: unknown): AppCallResult {
      switch (method) {
        case 'set': {
          const o = argsObject(args, ['key', 'value'], method)
          const k = key(o, ctx)
          return { output: null, ops: [{ t: 'lww.set', k, v: value(o, ctx) }] }
        }
        case 'get': {
          const k = key(argsObject(args, ['key'], method), ctx)
          return { output: ctx.state.readRegister(k) ?? null }
        }
        case 'remove': {
          const k = key(argsObject(args, ['key'], method), ctx)
          const previous = ctx.state.readRegister(k)
          if (previous === undefined) return { output: null }
          return { output: previous, ops: [{ t: 'lww.del', k }] }
        }
        case 'entries':
          argsObject(args, [], method)
          return { output: ctx.state.registers() }
        default:
          throw new UnknownMethod(`the kv app has no method ${JSON.stringify(method.slice(0, 64))}`, {
            details: { method: method.slice(0, 64) },
          })
      }
    },
  }
}
