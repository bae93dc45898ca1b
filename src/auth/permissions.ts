/**
 * Permissions of root keys, client keys and tokens (DESIGN §8), in the grammar of the system this
 * follows:
 *
 * ```
 * permission = "admin" / resource [ ":" action ] [ "[" arg *( "," arg ) "]" ]
 * resource   = "context" / "keys" / "proofs"
 * action     = 1*( ALPHA / "-" )            ; e.g. create, list, read, members, execute, subscribe
 * arg        = "*" / 1*( ALPHA / DIGIT / "_" / "-" / "." )   ; base58 ids, method names
 * ```
 *
 * `admin` covers everything. A granted permission covers a required one when the resources match,
 * the granted action is absent (every action) or equal, and each granted argument is `*` or equal to
 * the required argument in the same position (missing granted arguments cover anything):
 * `context[ctx1]` covers `context:execute[ctx1,alice,set]`; `context:execute[ctx1,*,get]` covers
 * `context:execute[ctx1,bob,get]` but not `…,set]`.
 */
import { InvalidPermission } from '../core/errors.ts'

/** A parsed permission. */
export interface Permission {
  readonly resource: string
  readonly action?: string
  readonly args?: readonly string[]
}

/** Resources a permission may name (besides `admin`). */
export const RESOURCES: readonly string[] = Object.freeze(['context', 'keys', 'proofs'])

const GRAMMAR = /^(?<resource>[a-z]+)(?::(?<action>[a-z][a-z-]*))?(?:\[(?<args>[^\]]*)\])?$/
const ARG = /^(\*|[A-Za-z0-9_.-]{1,128})$/
const MAX_PERMISSION_LENGTH = 512

/**
 * Parses one permission string. Throws `InvalidPermission`.
 *
 * @example
 * parsePermission('context:execute[9xQ…,*,get]') // {resource: 'context', action: 'execute', args: ['9xQ…', '*', 'get']}
 */
export function parsePermission(text: string): Permission {
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_PERMISSION_LENGTH)
    throw new InvalidPermission('a permission is a non-empty string of at most 512 characters')
  if (text === 'admin') return { resource: 'admin' }
  const m = GRAMMAR.exec(text)
  if (!m?.groups) throw new InvalidPermission(`"${text}" does not follow the permission grammar`)
  const { resource, action, args } = m.groups
  if (!RESOURCES.includes(resource!))
    throw new InvalidPermission(`unknown resource "${resource}"`, {
      details: { allowed: ['admin', ...RESOURCES] },
    })
  let list: string[] | undefined
  if (args !== undefined) {
    list = args.split(',').map((a) => a.trim())
    if (list.some((a) => !ARG.test(a)))
      throw new InvalidPermission(`"${text}" has an empty or invalid argument`)
  }
  return { resource: resource!, ...(action ? { action } : {}), ...(list ? { args: list } : {}) }
}

/** The canonical text of a permission. */
export function formatPermission(p: Permission): string {
  if (p.resource === 'admin') return 'admin'
  return `${p.resource}${p.action ? `:${p.action}` : ''}${p.args ? `[${p.args.join(',')}]` : ''}`
}

/** Parses and canonicalises a list (deduplicated, order kept). Throws `InvalidPermission`. */
export function normalizePermissions(list: readonly string[]): string[] {
  if (!Array.isArray(list) || list.length > 256) throw new InvalidPermission('at most 256 permissions')
  return [...new Set(list.map((t) => formatPermission(parsePermission(t))))]
}

/** True when `granted` covers `required` (see the module comment). */
export function covers(granted: Permission, required: Permission): boolean {
  if (granted.resource === 'admin') return true
  if (granted.resource !== required.resource) return false
  if (granted.action !== undefined && granted.action !== required.action) return false
  if (granted.args === undefined) return true
  const req = required.args ?? []
  return granted.args.every((g, i) => g === '*' || g === req[i])
}

/**
 * A permission set, parsed once, answering `allows(required)`.
 *
 * @example
 * const set = new PermissionSet(['context[ctx1]'])
 * set.allows('context:execute[ctx1,alice,set]') // true
 */
export class PermissionSet {
  readonly #granted: Permission[]
  readonly texts: readonly string[]

  constructor(list: readonly string[]) {
    this.texts = normalizePermissions(list)
    this.#granted = this.texts.map(parsePermission)
  }

  /** True when some granted permission covers `required` (a permission text or parsed). */
  allows(required: string | Permission): boolean {
    const r = typeof required === 'string' ? parsePermission(required) : required
    return this.#granted.some((g) => covers(g, r))
  }

  /** True when every permission of `other` is covered by this set (a client key within its root). */
  includesAll(other: readonly string[]): boolean {
    return other.every((t) => this.allows(t))
  }
}
