/**
 * NEAR benchmark, on the local NEAR devnet (nearcore VM logic behind NEAR's JSON-RPC, 50 ms blocks):
 *
 * 1. anchor submission → `final` through the adapter (p50/p95), next to a plain Transfer transaction
 *    sent and awaited final on the same devnet (the floor of the transaction path: block wait,
 *    signature and nonce checks, without the contract);
 * 2. contract call time in nearcore's VM logic (`anchor_of`, prepared module, fresh instance and an
 *    all-zero memory per call as nearcore does), next to the same prepared module instantiated and called in plain
 *    WebAssembly with a minimal JS host (registers, input, storage read) — what the VM layer costs;
 * 3. signed transaction bytes per anchor (borsh SignedTransaction as sent), next to the anchored data
 *    itself (log id + tree size + root = 72 bytes).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  Account,
  actions,
  createTransaction,
  encodeTransaction,
  JsonRpcProvider,
  KeyPair,
  KeyPairSigner,
} from 'near-api-js'
import { createNearAdapter } from '../adapters/near/near-adapter.ts'
import { nearAnchorWasm } from '../contracts/near/compile-anchor.ts'
import { CallMemoryPool } from '../devnets/near/call-memory.ts'
import { ContractExecutor, prepareContract } from '../devnets/near/contract-runtime.ts'
import { deployNearAnchor } from '../devnets/near/deploy.ts'
import { startNearDevnet } from '../devnets/near/near-devnet.ts'
import { instantiateWasm, type WasmModule } from '../devnets/near/wasm-api.ts'
import { random32 } from '../src/chain/chain-compliance.ts'
import { fromBase58, toHex } from '../src/core/bytes.ts'
import { sha256 } from '../src/core/hash.ts'
import type { BenchResult, Figure } from './table.ts'

const ANCHORS = 30
const CALLS = 200

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!
}

/**
 * The same prepared module in plain WebAssembly, with the few host functions `anchor_of` needs and
 * the devnet's memory policy (one reused memory, zeroed between calls), so the two differ only by
 * nearcore's VM logic.
 */
function rawCall(
  module: WasmModule,
  method: string,
  input: Uint8Array,
  storage: Map<string, Uint8Array>,
  pool: CallMemoryPool,
): Uint8Array {
  const memory = pool.take()
  const registers = new Map<bigint, Uint8Array>()
  let out = new Uint8Array(0)
  const mem = () => new Uint8Array(memory.buffer)
  const slice = (len: bigint, ptr: bigint) => mem().slice(Number(ptr), Number(ptr) + Number(len))
  const env: Record<string, unknown> = {
    memory,
    input: (r: bigint) => registers.set(r, input),
    register_len: (r: bigint) => BigInt(registers.get(r)?.length ?? -1),
    read_register: (r: bigint, ptr: bigint) => mem().set(registers.get(r)!, Number(ptr)),
    storage_read: (kl: bigint, kp: bigint, r: bigint) => {
      const v = storage.get(Buffer.from(slice(kl, kp)).toString('hex'))
      if (!v) return 0n
      registers.set(r, v)
      return 1n
    },
    value_return: (len: bigint, ptr: bigint) => {
      out = slice(len, ptr)
    },
    sha256: (len: bigint, ptr: bigint, r: bigint) => registers.set(r, sha256(slice(len, ptr))),
  }
  for (const name of [
    'panic_utf8',
    'abort',
    'storage_write',
    'storage_remove',
    'predecessor_account_id',
    'current_account_id',
    'log_utf8',
    'block_index',
    'block_timestamp',
  ])
    env[name] ??= () => {
      throw new Error(`${name} not in the minimal host`)
    }
  try {
    ;(instantiateWasm(module, { env })[method] as () => void)()
  } finally {
    pool.give(memory)
  }
  return out
}

/** Runs the NEAR benchmark (~10 s). */
export async function nearBench(): Promise<BenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'near-bench-'))
  const devnet = await startNearDevnet({ port: 0, dataDir: join(dir, 'chain'), blockMs: 50 })
  try {
    const contract = await deployNearAnchor({
      rpcUrl: devnet.url,
      parentAccount: devnet.rootAccount,
      parentSecretKey: devnet.rootSecretKey,
    })
    const adapter = await createNearAdapter({
      rpcUrl: devnet.url,
      chainId: 'near:localnet',
      contract,
      accountId: devnet.rootAccount,
      secretKey: devnet.rootSecretKey,
      pollMs: 10,
    })
    await adapter.registerNode(random32(), 'bench')

    // 1. anchor → final, and a Transfer → final on the same devnet
    const anchorMs: number[] = []
    let lastRoot = random32()
    for (let i = 0; i < ANCHORS; i++) {
      const root = random32()
      const t0 = performance.now()
      const r = await adapter.submitAnchor({ logId: random32(), treeSize: i + 1, root })
      const tx = r.kind === 'submitted' ? r.tx : undefined
      while ((await adapter.anchorStatus(root, tx)).state !== 'final')
        await new Promise((res) => setTimeout(res, 5))
      anchorMs.push(performance.now() - t0)
      lastRoot = root
    }
    await adapter.close()
    const provider = new JsonRpcProvider({ url: devnet.url })
    const signer = KeyPairSigner.fromSecretKey(devnet.rootSecretKey as `ed25519:${string}`)
    const root = new Account(devnet.rootAccount, provider, signer)
    const transferMs: number[] = []
    for (let i = 0; i < ANCHORS; i++) {
      const t0 = performance.now()
      await root.signAndSendTransaction({
        receiverId: contract,
        actions: [actions.transfer(1n)],
        waitUntil: 'FINAL',
      })
      transferMs.push(performance.now() - t0)
    }

    // 2. VM call vs plain WebAssembly, same prepared module and same storage
    const module = prepareContract(nearAnchorWasm())
    const storage = new Map<string, Uint8Array>()
    const exec = new ContractExecutor('bench.test.near', module, storage)
    const init = (m: string, args: object, who: string) =>
      exec.call({
        method: m,
        args: new TextEncoder().encode(JSON.stringify(args)),
        predecessor: who,
        signer: who,
        signerPublicKey: 'ed25519:11111111111111111111111111111111',
        height: 1n,
        timestampNs: 1n,
        view: false,
      })
    init('init', { owner: 'test.near' }, 'bench.test.near')
    init('register_node', { node_key: toHex(random32()), submitter: 'test.near' }, 'test.near')
    const benchRoot = toHex(random32())
    init('anchor', { log_id: toHex(random32()), tree_size: 9, root: benchRoot }, 'test.near')
    const args = new TextEncoder().encode(JSON.stringify({ root: benchRoot }))
    const viewCall = () =>
      exec.call({
        method: 'anchor_of',
        args,
        predecessor: 'x.near',
        signer: 'x.near',
        signerPublicKey: 'ed25519:11111111111111111111111111111111',
        height: 2n,
        timestampNs: 2n,
        view: true,
      })
    const viaVm = viewCall()
    const pool = new CallMemoryPool(1024, 2048)
    const viaRaw = rawCall(module, 'anchor_of', args, storage, pool)
    if (!viaVm.ok || Buffer.compare(Buffer.from(viaVm.value), Buffer.from(viaRaw)) !== 0)
      throw new Error('near bench: VM and plain-wasm calls disagree')
    const time = (f: () => unknown) => {
      for (let i = 0; i < 20; i++) f()
      const t0 = performance.now()
      for (let i = 0; i < CALLS; i++) f()
      return ((performance.now() - t0) / CALLS) * 1000
    }
    const vmUs = time(viewCall)
    const rawUs = time(() => rawCall(module, 'anchor_of', args, storage, pool))
    exec.close()

    // 3. bytes of the signed anchor transaction
    const pk = KeyPair.fromString(devnet.rootSecretKey as `ed25519:${string}`).getPublicKey()
    const block = await provider.viewBlock({ finality: 'final' })
    const call = actions.functionCall(
      'anchor',
      { log_id: toHex(random32()), tree_size: 123_456, root: toHex(lastRoot) },
      30_000_000_000_000n,
      0n,
    )
    const tx = createTransaction(
      devnet.rootAccount,
      pk,
      contract,
      1n,
      [call],
      fromBase58(block.header.hash, 32),
    )
    const txBytes = encodeTransaction((await signer.signTransaction(tx)).signedTransaction).length

    const p50 = pct(anchorMs, 50)
    const floor = pct(transferMs, 50)
    const figures: Figure[] = [
      {
        bench: 'near',
        name: 'anchor submit → final, p50',
        value: p50,
        unit: 'ms',
        ceiling: { name: 'Transfer → final p50', value: floor },
        ratio: p50 / floor,
      },
      { bench: 'near', name: 'anchor submit → final, p95', value: pct(anchorMs, 95), unit: 'ms' },
      {
        bench: 'near',
        name: 'anchor_of call in nearcore VM logic',
        value: vmUs,
        unit: 'µs',
        ceiling: { name: 'same module, plain wasm + JS host', value: rawUs },
        ratio: vmUs / rawUs,
      },
      {
        bench: 'near',
        name: 'signed anchor transaction',
        value: txBytes,
        unit: 'bytes',
        ceiling: { name: 'logId + treeSize + root', value: 72 },
        ratio: txBytes / 72,
      },
    ]
    return {
      figures,
      notes: [
        `NEAR devnet with 50 ms blocks: an anchor is final once its block is produced (instant finality), so`,
        `latency ≈ the wait for the next block plus the adapter's status polls; gas is not metered by the VM.`,
        `Each VM call instantiates the prepared module afresh with an all-zero 64 MiB memory, as nearcore does;`,
        `the memory is reused (zeroed after the call) unless the call grew it. Back-to-back calls here zero it`,
        `on the spot (~1 ms per call on this machine); between RPC requests that happens in a setImmediate.`,
      ],
      details: { anchorMs, transferMs, vmUs, rawUs, txBytes, blockMs: 50 },
    }
  } finally {
    await devnet.stop()
    await rm(dir, { recursive: true, force: true })
  }
}
