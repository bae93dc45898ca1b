/**
 * The node registry on Stellar: `node:<base64url(nodeKey)>` data entries on the registry account
 * (contracts/stellar/README.md). Reads go through Horizon `GET /accounts/:id` (its `data`); writes are
 * `manageData` transactions from the registry account through the adapter's serialized sender.
 */
import { type Horizon, Operation, StrKey } from '@stellar/stellar-sdk'
import { checkBytes32 } from '../../src/chain/anchor-request.ts'
import type { CallOptions, RegisterNodeOptions } from '../../src/chain/chain-adapter.ts'
import { InvalidInput, isMeroError } from '../../src/core/errors.ts'
import { NODE_PREFIX, nodeDataName, nodeDataValue, nodeEntrySubmitter } from './anchor-format.ts'
import { guardHorizon, isNotFound } from './horizon-errors.ts'
import type { SequenceSender } from './sequence-sender.ts'

/** Options of {@link createNodeRegistry}. */
export interface StellarRegistryOptions {
  readonly server: Horizon.Server
  /** The registry account. */
  readonly registry: string
  /** The sender and its key's account; throws for a read-only or closed adapter. */
  readonly sender: (what: string) => { sender: SequenceSender; account: string }
}

/** Creates the registry reads and writes over one registry account. */
export function createNodeRegistry(o: StellarRegistryOptions) {
  const { server, registry } = o
  const requireSender = o.sender
  /** Data entries of `id` (name → bytes); empty when the account does not exist. */
  const dataOf = async (id: string, signal?: AbortSignal): Promise<Map<string, Buffer>> => {
    try {
      const acc = await guardHorizon('loadAccount', signal, () => server.loadAccount(id))
      return new Map(Object.entries(acc.data_attr).map(([k, v]) => [k, Buffer.from(v, 'base64')]))
    } catch (e) {
      if (isNotFound((e as { cause?: unknown }).cause)) return new Map()
      throw e
    }
  }
  const submitters = async (signal?: AbortSignal): Promise<string[]> => {
    const out = new Set<string>()
    for (const [k, v] of await dataOf(registry, signal)) {
      const s = k.startsWith(NODE_PREFIX) ? nodeEntrySubmitter(v) : null
      if (s) out.add(s)
    }
    return [...out]
  }
  const registerNode = async (
    nodeKey: Uint8Array,
    metadata: string,
    opts: RegisterNodeOptions = {},
  ): Promise<void> => {
    checkBytes32(nodeKey, 'nodeKey')
    if (typeof metadata !== 'string') throw new InvalidInput('metadata must be a string')
    const s = requireSender('registerNode')
    const submitter = opts.submitter ?? s.account
    if (!StrKey.isValidEd25519PublicKey(submitter))
      throw new InvalidInput('submitter must be a G… account id')
    const name = nodeDataName(nodeKey)
    const value = nodeDataValue(submitter, metadata)
    if ((await dataOf(registry, opts.signal)).get(name)?.equals(value)) return
    await s.sender.send({
      what: 'registerNode',
      source: registry,
      operations: [Operation.manageData({ name, value })],
      ...(opts.signal ? { signal: opts.signal } : {}),
    })
  }

  const revokeNode = async (nodeKey: Uint8Array, opts: CallOptions = {}): Promise<void> => {
    checkBytes32(nodeKey, 'nodeKey')
    const s = requireSender('revokeNode')
    const name = nodeDataName(nodeKey)
    if (!(await dataOf(registry, opts.signal)).has(name)) return
    try {
      await s.sender.send({
        what: 'revokeNode',
        source: registry,
        operations: [Operation.manageData({ name, value: null })],
        ...(opts.signal ? { signal: opts.signal } : {}),
      })
    } catch (e) {
      // Deleted concurrently by someone else: the outcome the caller asked for.
      if (
        isMeroError(e) &&
        (e.details.operations as string[] | undefined)?.includes('op_data_name_not_found')
      )
        return
      throw e
    }
  }

  return { dataOf, submitters, registerNode, revokeNode }
}
