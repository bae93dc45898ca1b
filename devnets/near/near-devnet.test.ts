import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  Account,
  actions,
  createTransaction,
  encodeTransaction,
  JsonRpcProvider,
  KeyPair,
  KeyPairSigner,
  type KeyPairString,
} from 'near-api-js'
import { nearAnchorWasm } from '../../contracts/near/compile-anchor.ts'
import { fromBase58, toBase58 } from '../../src/core/bytes.ts'
import { sha256 } from '../../src/core/hash.ts'
import { deployNearAnchor } from './deploy.ts'
import { type NearDevnet, startNearDevnet } from './near-devnet.ts'

const hex32 = (b: string) => `0x${b.repeat(32)}`
const GAS = 30_000_000_000_000n

describe('NEAR devnet (near-api-js v7 against the local JSON-RPC)', { timeout: 60_000 }, () => {
  let dir: string
  let devnet: NearDevnet
  let provider: JsonRpcProvider
  let root: Account
  let contract: string

  const rpc = async (body: string) => {
    const r = await fetch(devnet.url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    })
    return (await r.json()) as {
      error?: { name: string; cause: { name: string; info: Record<string, unknown> } }
    }
  }
  /** A transaction signed by the root key with explicit nonce and block hash. */
  const signedTx = async (o: { nonce?: bigint; blockHash?: Uint8Array; receiverId?: string } = {}) => {
    const signer = KeyPairSigner.fromSecretKey(devnet.rootSecretKey as KeyPairString)
    const pk = await signer.getPublicKey()
    const key = await provider.viewAccessKey({ accountId: 'test.near', publicKey: pk })
    const block = await provider.viewBlock({ finality: 'final' })
    const tx = createTransaction(
      'test.near',
      pk,
      o.receiverId ?? 'test.near',
      o.nonce ?? key.nonce + 1n,
      [actions.transfer(1n)],
      o.blockHash ?? fromBase58(block.header.hash, 32),
    )
    return (await signer.signTransaction(tx)).signedTransaction
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'near-devnet-'))
    devnet = await startNearDevnet({ port: 0, dataDir: join(dir, 'chain'), blockMs: 50 })
    provider = new JsonRpcProvider({ url: devnet.url }, { retries: 1, wait: 50, backoff: 1 })
    root = new Account(
      devnet.rootAccount,
      provider,
      KeyPairSigner.fromSecretKey(devnet.rootSecretKey as KeyPairString),
    )
    contract = await deployNearAnchor({
      rpcUrl: devnet.url,
      parentAccount: devnet.rootAccount,
      parentSecretKey: devnet.rootSecretKey,
    })
    await root.callFunction({
      contractId: contract,
      methodName: 'register_node',
      args: { node_key: hex32('11'), submitter: 'test.near', metadata: 'test' },
    })
  })
  after(async () => {
    await devnet?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('answers status, block, gas_price and view_account like nearcore', async () => {
    const status = await provider.viewNodeStatus()
    assert.equal(status.chain_id, 'localnet')
    const block = await provider.viewBlock({ finality: 'final' })
    assert.ok(block.header.height >= status.sync_info.latest_block_height)
    assert.equal(
      (await provider.viewBlock({ blockId: block.header.hash })).header.height,
      block.header.height,
    )
    assert.ok((await provider.viewGasPrice()).gas_price)
    const acct = await provider.viewAccount({ accountId: contract })
    assert.notEqual(acct.code_hash, '11111111111111111111111111111111')
  })

  it('creates sub-accounts and keys through real CreateAccount/AddKey transactions', async () => {
    const kp = KeyPair.fromRandom('ed25519')
    await root.createSubAccount({
      accountOrPrefix: 'alice',
      publicKey: kp.getPublicKey(),
      nearToTransfer: 10n ** 24n,
    })
    const keys = await provider.viewAccessKeyList({ accountId: 'alice.test.near' })
    assert.deepEqual(
      keys.keys.map((k) => [k.public_key, k.access_key.permission]),
      [[kp.getPublicKey().toString(), 'FullAccess']],
    )
    const alice = new Account('alice.test.near', provider, new KeyPairSigner(kp))
    // only the parent may create a sub-account (no registrar for top-level names here)
    await assert.rejects(
      alice.signAndSendTransaction({ receiverId: 'x.test.near', actions: [actions.createAccount()] }),
      { name: 'CreateAccountNotAllowedActionError' },
    )
    await assert.rejects(provider.viewAccount({ accountId: 'x.test.near' }), {
      name: 'AccountDoesNotExistError',
    })
  })

  it('rejects a tampered signature (InvalidSignature)', async () => {
    const tx = await signedTx()
    const sig = tx.signature as unknown as { ed25519Signature: { data: Uint8Array | number[] } }
    sig.ed25519Signature.data[0] = (Number(sig.ed25519Signature.data[0]) ^ 1) & 0xff
    await assert.rejects(provider.sendTransaction(tx), { name: 'InvalidSignatureError' })
  })

  it('rejects a stale nonce (InvalidNonce with the key nonce)', async () => {
    const pk = KeyPair.fromString(devnet.rootSecretKey as KeyPairString).getPublicKey()
    const { nonce } = await provider.viewAccessKey({ accountId: 'test.near', publicKey: pk })
    await assert.rejects(
      provider.sendTransaction(await signedTx({ nonce })),
      (e: Error & { akNonce?: unknown }) => {
        assert.equal(e.name, 'InvalidNonceError')
        return true
      },
    )
    assert.equal((await provider.viewAccessKey({ accountId: 'test.near', publicKey: pk })).nonce, nonce)
  })

  it('rejects an unknown block hash (Expired)', async () => {
    await assert.rejects(
      provider.sendTransaction(await signedTx({ blockHash: new Uint8Array(32).fill(7) })),
      {
        name: 'TransactionExpiredError',
      },
    )
  })

  it('a FunctionCall key cannot call another contract or another method', async () => {
    const fk = KeyPair.fromRandom('ed25519')
    await root.addFunctionCallAccessKey({
      publicKey: fk.getPublicKey(),
      contractId: contract,
      methodNames: ['anchor'],
    })
    const limited = new Account('test.near', provider, new KeyPairSigner(fk))
    await assert.rejects(
      limited.callFunction({ contractId: 'other.test.near', methodName: 'anchor', args: {} }),
      { name: 'AccessKeyReceiverMismatchActionError' },
    )
    await assert.rejects(
      limited.callFunction({ contractId: contract, methodName: 'register_node', args: {} }),
      { name: 'AccessKeyMethodNameMismatchActionError' },
    )
    await assert.rejects(limited.transfer({ receiverId: contract, amount: 1n }), {
      name: 'AccessKeyRequiresFullAccessActionError',
    })
    // the allowed method on the allowed contract goes through
    await limited.callFunction({
      contractId: contract,
      methodName: 'anchor',
      args: { log_id: hex32('a1'), tree_size: 1, root: hex32('a2') },
    })
  })

  it('two transactions with the same nonce are both accepted; one executes, the other is dropped (UNKNOWN_TRANSACTION)', async () => {
    // a devnet without the block timer: both must be pooled before the block that applies one
    const quiet = await startNearDevnet({ port: 0, blockMs: 60_000 })
    try {
      const p = new JsonRpcProvider({ url: quiet.url }, { retries: 1, wait: 50, backoff: 1 })
      const signer = KeyPairSigner.fromSecretKey(quiet.rootSecretKey as KeyPairString)
      const pk = await signer.getPublicKey()
      const { nonce } = await p.viewAccessKey({ accountId: 'test.near', publicKey: pk })
      const block = fromBase58((await p.viewBlock({ finality: 'final' })).header.hash, 32)
      const sign = async (amount: bigint) =>
        (
          await signer.signTransaction(
            createTransaction('test.near', pk, 'test.near', nonce + 1n, [actions.transfer(amount)], block),
          )
        ).signedTransaction
      const [first, second] = [await sign(1n), await sign(2n)]
      const hashes = [first!, second!].map((t) => toBase58(sha256(encodeTransaction(t.transaction))))
      await p.sendTransactionUntil(first!, 'NONE')
      await p.sendTransactionUntil(second!, 'NONE')
      await quiet.mine()
      const status = async (hash: string) => {
        const r = await fetch(quiet.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            jsonrpc: '2.0',
            id: 1,
            method: 'tx',
            params: { tx_hash: hash, sender_account_id: 'test.near', wait_until: 'NONE' },
          }),
        })
        return (await r.json()) as { error?: { cause: { name: string } } }
      }
      const [a, b] = await Promise.all(hashes.map(status))
      assert.equal(a!.error, undefined)
      assert.equal(b!.error?.cause.name, 'UNKNOWN_TRANSACTION')
      assert.equal((await p.viewAccessKey({ accountId: 'test.near', publicKey: pk })).nonce, nonce + 1n)
    } finally {
      await quiet.stop()
    }
  })

  it('a FunctionCall key cannot attach a deposit (DepositWithFunctionCall)', async () => {
    const fk = KeyPair.fromRandom('ed25519')
    await root.addFunctionCallAccessKey({
      publicKey: fk.getPublicKey(),
      contractId: contract,
      methodNames: [],
    })
    const limited = new Account('test.near', provider, new KeyPairSigner(fk))
    const call = actions.functionCall(
      'anchor',
      { log_id: hex32('b1'), tree_size: 1, root: hex32('b2') },
      GAS,
      1n,
    )
    await assert.rejects(
      limited.signAndSendTransaction({ receiverId: contract, actions: [call] }),
      (e: Error) => {
        assert.match(`${e.name} ${e.message}`, /DepositWithFunctionCall/)
        return true
      },
    )
  })

  it('validates actions up front (DeleteAccount must be last); a deleted contract account leaves no storage', async () => {
    const kp = KeyPair.fromRandom('ed25519')
    const id = 'gone.test.near'
    const create = (owner: string) =>
      root.signAndSendTransaction({
        receiverId: id,
        actions: [
          actions.createAccount(),
          actions.transfer(10n ** 24n),
          actions.addFullAccessKey(kp.getPublicKey()),
          actions.deployContract(nearAnchorWasm()),
          actions.functionCall('init', { owner }, GAS, 0n),
        ],
      })
    await create('test.near')
    const gone = new Account(id, provider, new KeyPairSigner(kp))
    const balance = async (a: string) => BigInt((await provider.viewAccount({ accountId: a })).amount)
    const rootBefore = await balance('test.near')
    await assert.rejects(
      gone.signAndSendTransaction({
        receiverId: id,
        actions: [actions.deleteAccount('test.near'), actions.transfer(1n)],
      }),
      (e: Error) => {
        assert.match(`${e.name} ${e.message}`, /DeleteActionMustBeFinal/)
        return true
      },
    )
    assert.equal(await balance('test.near'), rootBefore, 'the beneficiary was paid by a refused transaction')
    assert.equal(await balance(id), 10n ** 24n)
    await gone.signAndSendTransaction({ receiverId: id, actions: [actions.deleteAccount('test.near')] })
    assert.equal(await balance('test.near'), rootBefore + 10n ** 24n)
    await assert.rejects(provider.viewAccount({ accountId: id }))
    // re-created: `init` (which panics on an initialised registry) succeeds, so the old storage is gone
    await create('other.test.near')
    const owner = await provider.callFunction({ contractId: id, method: 'owner', args: {} })
    assert.equal(owner, 'other.test.near')
  })

  it('a contract panic is reported as NEAR reports it and the whole receipt is rolled back', async () => {
    await root.callFunction({
      contractId: contract,
      methodName: 'anchor',
      args: { log_id: hex32('22'), tree_size: 3, root: hex32('33') },
    })
    await assert.rejects(
      root.signAndSendTransaction({
        receiverId: contract,
        actions: [
          actions.functionCall('register_node', { node_key: hex32('44'), submitter: 'test.near' }, GAS, 0n),
          actions.functionCall('anchor', { log_id: hex32('22'), tree_size: 9, root: hex32('33') }, GAS, 0n),
        ],
      }),
      (e: Error) => {
        assert.equal(e.name, 'ContractExecutionError')
        assert.match(e.message, /^Smart contract panicked: AlreadyAnchored: 0x3333/)
        return true
      },
    )
    const view = (method: string, args: Record<string, unknown>) =>
      provider.callFunction({ contractId: contract, method, args })
    assert.equal(await view('is_node', { node_key: hex32('44') }), false)
    assert.equal(((await view('anchor_of', { root: hex32('33') })) as { tree_size: number }).tree_size, 3)
    await assert.rejects(view('anchor', {}), (e: Error) => /InvalidArgs: missing log_id/.test(e.message))
  })

  it('answers bad input with nearcore error shapes and keeps running', async () => {
    assert.equal((await rpc('{nope')).error?.cause.name, 'PARSE_ERROR')
    assert.equal(
      (await rpc('{"jsonrpc":"2.0","id":1,"method":"nope","params":[]}')).error?.cause.name,
      'METHOD_NOT_FOUND',
    )
    const bad = await rpc('{"jsonrpc":"2.0","id":1,"method":"send_tx","params":{"signed_tx_base64":"AAAA"}}')
    assert.equal(bad.error?.cause.name, 'PARSE_ERROR')
    const unknown = await rpc(
      '{"jsonrpc":"2.0","id":1,"method":"query","params":{"request_type":"view_account","account_id":"ghost.near","finality":"final"}}',
    )
    assert.equal(unknown.error?.cause.name, 'UNKNOWN_ACCOUNT')
    await assert.rejects(
      provider.viewAccessKey({
        accountId: 'test.near',
        publicKey: KeyPair.fromRandom('ed25519').getPublicKey(),
      }),
      {
        name: 'AccessKeyDoesNotExistError',
      },
    )
    const tx = await rpc(
      '{"jsonrpc":"2.0","id":1,"method":"tx","params":{"tx_hash":"11111111111111111111111111111111","sender_account_id":"test.near"}}',
    )
    assert.equal(tx.error?.cause.name, 'UNKNOWN_TRANSACTION')
    for (const args of ['!!!', 'e30', 'e3=0'])
      assert.equal(
        (
          await rpc(
            JSON.stringify({
              jsonrpc: '2.0',
              id: 1,
              method: 'query',
              params: {
                request_type: 'call_function',
                finality: 'final',
                account_id: contract,
                method_name: 'owner',
                args_base64: args,
              },
            }),
          )
        ).error?.cause.name,
        'PARSE_ERROR',
        `args_base64 ${args}`,
      )
    assert.ok((await provider.viewNodeStatus()).sync_info.latest_block_height > 0)
  })

  it('keeps its state across a stop and a restart on the same data folder', async () => {
    await root.callFunction({
      contractId: contract,
      methodName: 'anchor',
      args: { log_id: hex32('55'), tree_size: 5, root: hex32('66') },
    })
    const pk = KeyPair.fromString(devnet.rootSecretKey as KeyPairString).getPublicKey()
    const nonce = (await provider.viewAccessKey({ accountId: 'test.near', publicKey: pk })).nonce
    const height = devnet.height()
    await devnet.stop()
    devnet = await startNearDevnet({ port: 0, dataDir: join(dir, 'chain'), blockMs: 50 })
    provider = new JsonRpcProvider({ url: devnet.url }, { retries: 1, wait: 50, backoff: 1 })
    root = new Account(
      devnet.rootAccount,
      provider,
      KeyPairSigner.fromSecretKey(devnet.rootSecretKey as KeyPairString),
    )
    assert.ok(devnet.height() >= height)
    const a = (await provider.callFunction({
      contractId: contract,
      method: 'anchor_of',
      args: { root: hex32('66') },
    })) as {
      tree_size: number
      submitter: string
    }
    assert.deepEqual([a.tree_size, a.submitter], [5, 'test.near'])
    assert.equal((await provider.viewAccessKey({ accountId: 'test.near', publicKey: pk })).nonce, nonce)
    // and it keeps working after the restart
    await root.callFunction({
      contractId: contract,
      methodName: 'anchor',
      args: { log_id: hex32('77'), tree_size: 7, root: hex32('88') },
    })
  })
})
