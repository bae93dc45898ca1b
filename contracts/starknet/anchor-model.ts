/**
 * A TypeScript model of the Cairo `MeroAnchor` contract (contracts/starknet/src/lib.cairo), used by the
 * local Starknet devnet because no Cairo compiler or VM runs here. It is NOT executed Cairo: it mirrors
 * the contract's checks, their order, its storage and its events, and is kept in lockstep with the
 * Cairo source through one case table (`anchor-cases.json`) that the model test runs here and that the
 * generated snforge tests (`tests/test_anchor_cases.cairo`) run against the compiled contract.
 *
 * Every entry point checks everything before it writes, so a revert leaves the state untouched (as a
 * reverted Starknet transaction does).
 */
import { shortString } from 'starknet'
import {
  ByteArrayError,
  decodeByteArrayBytes,
  encodeByteArrayBytes,
  FELT_PRIME,
  feltsToU256,
  selectorOf,
  u256ToFelts,
} from './anchor-calldata.ts'

/** Persistent storage of one anchor contract instance (JSON-safe: hex strings). */
export interface AnchorModelState {
  /** Owner address (constructor argument). */
  owner: string
  /** root (hex u256) → anchor; `treeSize` is a hex u64 (no float rounding above 2^53). */
  anchors: Record<
    string,
    { logId: string; treeSize: string; height: number; timestamp: number; submitter: string }
  >
  /** node key (hex u256) → node; `metadata` is the ByteArray's bytes as hex (any bytes, not only UTF-8). */
  nodes: Record<string, { submitter: string; active: boolean; metadata: string }>
  /** submitter address → number of active nodes it submits for. */
  activeNodes: Record<string, number>
}

/** The block and caller a call runs in. */
export interface ModelContext {
  /** `get_caller_address()`: the account that called the contract. */
  readonly caller: bigint
  /** `get_block_number()`. */
  readonly height: number
  /** `get_block_timestamp()`, seconds. */
  readonly timestamp: number
}

/** An emitted Cairo event (keys[0] = selector of the event name). */
export interface ModelEvent {
  readonly keys: bigint[]
  readonly data: bigint[]
}

/** A Cairo panic: `reason` is the short string the contract panics with. */
export class AnchorRevert extends Error {
  constructor(readonly reason: string) {
    super(reason)
    this.name = 'AnchorRevert'
  }
  /** The panic data felt (the short string). */
  get felt(): bigint {
    return BigInt(shortString.encodeShortString(this.reason))
  }
}

/** The contract's constructor: `constructor(owner: ContractAddress)`. */
export function constructAnchor(calldata: readonly bigint[]): AnchorModelState {
  if (calldata.length !== 1) throw new AnchorRevert('Failed to deserialize param #1')
  const owner = calldata[0]!
  if (owner < 0n || owner >= ADDRESS_BOUND) throw new AnchorRevert('Failed to deserialize param #1')
  if (owner === 0n) throw new AnchorRevert('INVALID_OWNER')
  return { owner: hex(owner), anchors: {}, nodes: {}, activeNodes: {} }
}

const hex = (v: bigint) => `0x${v.toString(16)}`
/** `ContractAddress` is a felt below 2^251 (Cairo's `Serde` fails above). */
const ADDRESS_BOUND = 1n << 251n

const SELECTORS = new Map<bigint, string>(
  ['anchor', 'anchor_of', 'register_node', 'revoke_node', 'is_node', 'node_of', 'is_submitter', 'owner'].map(
    (n) => [selectorOf(n), n],
  ),
)
const EVENT_ANCHORED = selectorOf('Anchored')
const EVENT_NODE_REGISTERED = selectorOf('NodeRegistered')
const EVENT_NODE_REVOKED = selectorOf('NodeRevoked')

/** Reads calldata like Cairo's `Serde`: a short or malformed param fails as the compiled contract does. */
class Reader {
  private i = 0
  private param = 0
  constructor(private readonly felts: readonly bigint[]) {}
  private fail(): never {
    throw new AnchorRevert(`Failed to deserialize param #${this.param}`)
  }
  private next(): bigint {
    const v = this.felts[this.i++]
    if (v === undefined || v < 0n || v >= FELT_PRIME) this.fail()
    return v
  }
  u256(): bigint {
    this.param++
    try {
      return feltsToU256(this.next(), this.next())
    } catch (e) {
      if (e instanceof AnchorRevert) throw e
      return this.fail()
    }
  }
  u64(): bigint {
    this.param++
    const v = this.next()
    return v < 1n << 64n ? v : this.fail()
  }
  /** `ContractAddress`: one felt < 2^251. */
  address(): bigint {
    this.param++
    const v = this.next()
    return v < ADDRESS_BOUND ? v : this.fail()
  }
  /** `ByteArray` as its derived `Serde` reads it; `canonical` false when no ByteArray method builds it. */
  byteArray(): { bytes: Buffer; canonical: boolean } {
    this.param++
    try {
      const { bytes, used } = decodeByteArrayBytes(this.felts, this.i)
      this.i += used
      return { bytes, canonical: true }
    } catch (e) {
      if (!(e instanceof ByteArrayError) || e.kind !== 'canonical') return this.fail()
      // Serde accepts it: skip it like Serde does, the contract refuses it after its other checks.
      const n = Number(this.felts[this.i]!)
      this.i += n + 3
      return { bytes: Buffer.alloc(0), canonical: false }
    }
  }
  end(): void {
    if (this.i !== this.felts.length) throw new AnchorRevert('Input too long for arguments')
  }
}

/**
 * Runs one entry point of the contract. Returns the result felts and emitted events and mutates
 * `state` only on success; throws {@link AnchorRevert} like the Cairo contract panics.
 */
export function executeAnchor(
  state: AnchorModelState,
  ctx: ModelContext,
  selector: bigint,
  calldata: readonly bigint[],
): { result: bigint[]; events: ModelEvent[] } {
  const name = SELECTORS.get(selector)
  if (!name) throw new AnchorRevert(`ENTRYPOINT_NOT_FOUND`)
  const r = new Reader(calldata)
  const caller = ctx.caller
  switch (name) {
    case 'anchor': {
      const logId = r.u256()
      const treeSize = r.u64()
      const root = r.u256()
      r.end()
      if ((state.activeNodes[hex(caller)] ?? 0) === 0) throw new AnchorRevert('NOT_SUBMITTER')
      if (treeSize === 0n) throw new AnchorRevert('INVALID_TREE_SIZE')
      if (root === 0n || logId === 0n) throw new AnchorRevert('INVALID_ROOT')
      if (state.anchors[hex(root)]) throw new AnchorRevert('ALREADY_ANCHORED')
      state.anchors[hex(root)] = {
        logId: hex(logId),
        treeSize: hex(treeSize),
        height: ctx.height,
        timestamp: ctx.timestamp,
        submitter: hex(caller),
      }
      return {
        result: [],
        events: [
          { keys: [EVENT_ANCHORED, ...u256ToFelts(logId), ...u256ToFelts(root)], data: [treeSize, caller] },
        ],
      }
    }
    case 'anchor_of': {
      const root = r.u256()
      r.end()
      const a = state.anchors[hex(root)]
      if (!a) return { result: [0n, 0n, 0n, 0n, 0n, 0n], events: [] }
      return {
        result: [
          ...u256ToFelts(BigInt(a.logId)),
          BigInt(a.treeSize),
          BigInt(a.height),
          BigInt(a.timestamp),
          BigInt(a.submitter),
        ],
        events: [],
      }
    }
    case 'register_node': {
      const nodeKey = r.u256()
      const submitter = r.address()
      const metadata = r.byteArray()
      r.end()
      if (caller !== BigInt(state.owner)) throw new AnchorRevert('NOT_OWNER')
      if (submitter === 0n) throw new AnchorRevert('INVALID_SUBMITTER')
      if (!metadata.canonical) throw new AnchorRevert('INVALID_METADATA')
      const key = hex(nodeKey)
      const old = state.nodes[key]
      if (old?.active) state.activeNodes[old.submitter] = (state.activeNodes[old.submitter] ?? 1) - 1
      state.nodes[key] = { submitter: hex(submitter), active: true, metadata: metadata.bytes.toString('hex') }
      state.activeNodes[hex(submitter)] = (state.activeNodes[hex(submitter)] ?? 0) + 1
      return {
        result: [],
        events: [
          {
            keys: [EVENT_NODE_REGISTERED, ...u256ToFelts(nodeKey), submitter],
            data: encodeByteArrayBytes(metadata.bytes),
          },
        ],
      }
    }
    case 'revoke_node': {
      const nodeKey = r.u256()
      r.end()
      if (caller !== BigInt(state.owner)) throw new AnchorRevert('NOT_OWNER')
      const n = state.nodes[hex(nodeKey)]
      if (!n?.active) throw new AnchorRevert('UNKNOWN_NODE')
      n.active = false
      state.activeNodes[n.submitter] = (state.activeNodes[n.submitter] ?? 1) - 1
      return {
        result: [],
        events: [{ keys: [EVENT_NODE_REVOKED, ...u256ToFelts(nodeKey), BigInt(n.submitter)], data: [] }],
      }
    }
    case 'is_node': {
      const nodeKey = r.u256()
      r.end()
      return { result: [state.nodes[hex(nodeKey)]?.active ? 1n : 0n], events: [] }
    }
    case 'node_of': {
      const nodeKey = r.u256()
      r.end()
      const n = state.nodes[hex(nodeKey)]
      return {
        result: [
          BigInt(n?.submitter ?? 0),
          n?.active ? 1n : 0n,
          ...encodeByteArrayBytes(Buffer.from(n?.metadata ?? '', 'hex')),
        ],
        events: [],
      }
    }
    case 'is_submitter': {
      const account = r.address()
      r.end()
      return { result: [(state.activeNodes[hex(account)] ?? 0) > 0 ? 1n : 0n], events: [] }
    }
    default: {
      r.end()
      return { result: [BigInt(state.owner)], events: [] }
    }
  }
}
