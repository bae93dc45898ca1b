/**
 * Executing an INVOKE v3 transaction in the devnet: decode the account's `__execute__` multicall (Cairo 1
 * calldata `[n_calls, (to, selector, calldata_len, ...calldata)...]`) and run each call against the
 * modelled contracts — the anchor contract model, the Universal Deployer model, account views.
 * All-or-nothing: writes are made on copies and committed only when every call succeeded.
 */
import { hash, num } from 'starknet'
import {
  type AnchorModelState,
  AnchorRevert,
  constructAnchor,
  executeAnchor,
} from '../../contracts/starknet/anchor-model.ts'
import { type AccountVariant, callAccount, MODEL_CLASS_HASHES } from './devnet-accounts.ts'

/** A deployed (modelled) contract. */
export interface StoredContract {
  readonly kind: 'account' | 'anchor' | 'udc'
  readonly classHash: string
  readonly account?: { readonly publicKey: string; readonly variant: AccountVariant }
  anchor?: AnchorModelState
}

/** An event as receipts carry it. */
export interface RpcEvent {
  readonly from_address: string
  readonly keys: string[]
  readonly data: string[]
}

/** The block an execution runs in. */
export interface BlockContext {
  readonly height: number
  readonly timestamp: number
}

/** One decoded call of a multicall. */
export interface DecodedCall {
  readonly to: bigint
  readonly selector: bigint
  readonly calldata: bigint[]
}

/** The Universal Deployer Contract address starknet.js 10 uses by default (`constants.UDC.ADDRESS`). */
export const UDC_ADDRESS = '0x2ceed65a4bd731034c01113685c831b01c15d7d432f71afb1cf1634b53a2125'
const EXECUTE = BigInt(hash.getSelectorFromName('__execute__'))
const DEPLOY_SELECTORS = [
  BigInt(hash.getSelectorFromName('deployContract')),
  BigInt(hash.getSelectorFromName('deploy_contract')),
]
const CONTRACT_DEPLOYED = BigInt(hash.getSelectorFromName('ContractDeployed'))

/** Normalized address form used as map keys: lowercase hex, no padding. */
export const addr = (v: bigint | string): string => num.toHex(BigInt(v))

/** Decodes the Cairo 1 `__execute__` calldata; throws an `AnchorRevert` like the account's Serde would. */
export function decodeMulticall(calldata: readonly bigint[]): DecodedCall[] {
  const fail = (): never => {
    throw new AnchorRevert('Failed to deserialize param #1')
  }
  const n = calldata[0] ?? fail()
  if (n > 1000n) fail()
  const calls: DecodedCall[] = []
  let i = 1
  for (let k = 0n; k < n; k++) {
    const to = calldata[i] ?? fail()
    const selector = calldata[i + 1] ?? fail()
    const len = calldata[i + 2] ?? fail()
    if (len > BigInt(calldata.length)) fail()
    const data = calldata.slice(i + 3, i + 3 + Number(len))
    if (data.length !== Number(len)) fail()
    calls.push({ to, selector, calldata: data })
    i += 3 + Number(len)
  }
  if (i !== calldata.length) throw new AnchorRevert('Input too long for arguments')
  return calls
}

/** A failed execution, with the revert reason as a node would phrase it. */
export class ExecutionFailure extends Error {
  constructor(
    readonly reason: string,
    readonly panic: string,
  ) {
    super(reason)
  }
}

const revertReason = (frames: string[], e: AnchorRevert) =>
  `Transaction execution has failed:\n${frames.map((f, i) => `${i}: Error in the called contract (${f}):\n`).join('')}Execution failed. Failure reason:\n(${num.toHex(e.felt)} ('${e.reason}')).\n`

/**
 * Runs `calls` from `sender` against `contracts`. Returns the events and the writes to commit; throws
 * {@link ExecutionFailure} on the first panic (nothing to commit).
 */
export function executeCalls(
  contracts: Readonly<Record<string, StoredContract>>,
  sender: string,
  calls: readonly DecodedCall[],
  block: BlockContext,
): { events: RpcEvent[]; writes: Map<string, StoredContract>; results: bigint[][] } {
  const writes = new Map<string, StoredContract>()
  const events: RpcEvent[] = []
  const results: bigint[][] = []
  const senderClass = contracts[sender]?.classHash ?? '0x0'
  const outer = `contract address: ${sender}, class hash: ${senderClass}, selector: ${num.toHex(EXECUTE)}`
  for (const call of calls) {
    const target = addr(call.to)
    const frame = (cls: string) =>
      `contract address: ${target}, class hash: ${cls}, selector: ${num.toHex(call.selector)}`
    const c = writes.get(target) ?? contracts[target]
    if (!c) {
      const e = new AnchorRevert('CONTRACT_NOT_DEPLOYED')
      throw new ExecutionFailure(
        `Transaction execution has failed:\n0: Error in the called contract (${outer}):\nRequested contract address ${target} is not deployed.\n`,
        e.reason,
      )
    }
    try {
      if (c.kind === 'anchor') {
        const copy: StoredContract = writes.get(target) ?? { ...c, anchor: stageAnchor(c.anchor!) }
        const r = executeAnchor(
          copy.anchor!,
          { caller: BigInt(sender), ...block },
          call.selector,
          call.calldata,
        )
        writes.set(target, copy)
        results.push(r.result)
        for (const ev of r.events)
          events.push({ from_address: target, keys: ev.keys.map(addr), data: ev.data.map(addr) })
      } else if (c.kind === 'account') {
        results.push(callAccount(c.account!, call.selector, call.calldata))
      } else {
        const deployed = deployViaUdc(contracts, writes, sender, call)
        results.push([BigInt(deployed.address)])
        events.push(deployed.event)
      }
    } catch (e) {
      if (e instanceof AnchorRevert)
        throw new ExecutionFailure(revertReason([outer, frame(c.classHash)], e), e.reason)
      throw e
    }
  }
  return { events, writes, results }
}

/**
 * A transaction's working copy of an anchor contract's state, cheap however many anchors it holds:
 * the anchors map (append-only, entries never changed in place) is layered over the committed one —
 * reads fall through, writes stay in the layer — and the small node maps are copied. Copying the
 * whole state per call made every anchor and every `starknet_call` cost O(anchors).
 */
function stageAnchor(s: AnchorModelState): AnchorModelState {
  return {
    owner: s.owner,
    anchors: Object.create(s.anchors) as AnchorModelState['anchors'],
    nodes: structuredClone(s.nodes),
    activeNodes: { ...s.activeNodes },
  }
}

/** Commits a successful transaction's writes: a staged anchors layer is folded into the committed map. */
export function commitWrites(
  contracts: Record<string, StoredContract>,
  writes: ReadonlyMap<string, StoredContract>,
): void {
  for (const [k, v] of writes) {
    const staged = v.anchor?.anchors
    const base = staged && (Object.getPrototypeOf(staged) as AnchorModelState['anchors'] | null)
    if (v.anchor && staged && base && base !== Object.prototype) {
      Object.assign(base, staged) // own entries only: the new anchors
      v.anchor.anchors = base
    }
    contracts[k] = v
  }
}

/** UDC `deployContract(class_hash, salt, not_from_zero, calldata: Span<felt252>)`: only the anchor class is known. */
function deployViaUdc(
  contracts: Readonly<Record<string, StoredContract>>,
  writes: Map<string, StoredContract>,
  sender: string,
  call: DecodedCall,
): { address: string; event: RpcEvent } {
  if (!DEPLOY_SELECTORS.includes(call.selector)) throw new AnchorRevert('ENTRYPOINT_NOT_FOUND')
  const [classHash, salt, unique, len] = call.calldata
  if (classHash === undefined || salt === undefined || unique === undefined || len === undefined)
    throw new AnchorRevert('Failed to deserialize param #1')
  const ctor = call.calldata.slice(4)
  if (ctor.length !== Number(len)) throw new AnchorRevert('Failed to deserialize param #4')
  if (addr(classHash) !== addr(MODEL_CLASS_HASHES.anchor)) throw new AnchorRevert('CLASS_NOT_DECLARED')
  const address = addr(
    hash.calculateContractAddressFromHash(
      unique ? hash.computePedersenHash(sender, addr(salt)) : addr(salt),
      addr(classHash),
      ctor.map(addr),
      unique ? UDC_ADDRESS : 0,
    ),
  )
  if (contracts[address] || writes.has(address)) throw new AnchorRevert('CONTRACT_ADDRESS_UNAVAILABLE')
  writes.set(address, { kind: 'anchor', classHash: addr(classHash), anchor: constructAnchor(ctor) })
  return {
    address,
    event: {
      from_address: UDC_ADDRESS,
      keys: [addr(CONTRACT_DEPLOYED)],
      data: [address, sender, addr(unique), addr(classHash), addr(len), ...ctor.map(addr), addr(salt)],
    },
  }
}
