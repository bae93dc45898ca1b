import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { Contract, JsonRpcProvider, Network, Wallet } from 'ethers'
import { anchorArtifact } from '../../contracts/ethereum/anchor-artifact.ts'
import { waitFor } from '../../test/helpers/child-process.ts'
import { defer } from '../../test/helpers/defer.ts'
import { type AnvilInstance, startAnvil } from './anvil.ts'
import { deployAnchorContract } from './deploy.ts'

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('anvil devnet', { timeout: 30_000 }, () => {
  it('starts on a free 127.0.0.1 port with funded accounts and the requested chain id; stop() ends the child', async (t) => {
    // both started together: whichever started is stopped even when the other failed to
    const started = await Promise.allSettled([startAnvil({ chainId: 1337, accounts: 3 }), startAnvil()])
    for (const s of started) if (s.status === 'fulfilled') defer(t, () => s.value.stop())
    const [a, b] = started.map((s) => {
      if (s.status === 'rejected') throw s.reason
      return s.value
    }) as [AnvilInstance, AnvilInstance]
    const provider = new JsonRpcProvider(a.rpcUrl, undefined, { staticNetwork: true })
    defer(t, () => provider.destroy())
    assert.notEqual(a.port, b.port)
    assert.match(a.rpcUrl, /^http:\/\/127\.0\.0\.1:\d+$/)
    assert.equal(a.accounts.length, 3)
    assert.equal((await provider.getNetwork()).chainId, 1337n)
    assert.ok((await provider.getBalance(a.accounts[2]!.address)) > 10n ** 18n)
    assert.equal(new Wallet(a.accounts[1]!.privateKey).address, a.accounts[1]!.address)
    await a.stop()
    await a.stop() // idempotent
    assert.equal(alive(a.pid), false)
    assert.equal(alive(b.pid), true, 'stopping one devnet leaves the other running')
    await b.stop()
  })

  it('a state file keeps the contract and its anchors across a kill -9 and a clean restart', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'mero-anvil-state-'))
    defer(t, () => rm(dir, { recursive: true, force: true })) // runs last, after every anvil stopped
    const stateFile = join(dir, 'state.json')
    const first = await startAnvil({ stateFile })
    defer(t, () => first.stop())
    const owner = first.accounts[0]!
    const contract = await deployAnchorContract(first.rpcUrl, owner.privateKey)
    const root = `0x${'ab'.repeat(32)}`
    const logId = `0x${'cd'.repeat(32)}`
    let last: { hash: string; blockNumber: number }
    {
      const provider = new JsonRpcProvider(first.rpcUrl, Network.from(31337), {
        staticNetwork: true,
        cacheTimeout: -1,
      })
      defer(t, () => provider.destroy())
      const c = new Contract(
        contract,
        anchorArtifact().abi as never[],
        new Wallet(owner.privateKey, provider),
      )
      await (await c.getFunction('registerNode')(`0x${'11'.repeat(32)}`, owner.address, 'n')).wait()
      const receipt = await (await c.getFunction('anchor')(logId, 3n, root)).wait()
      assert.ok(receipt)
      last = { hash: receipt.hash, blockNumber: receipt.blockNumber }
      provider.destroy()
    }
    // The state is dumped every second (rewritten in place): wait for a dump written after the last
    // receipt that holds its transaction, then kill -9 at once (well before the next dump starts).
    const since = (await stat(stateFile).catch(() => undefined))?.mtimeMs ?? 0
    await waitFor(
      'a state dump with the last transaction',
      async () => {
        if ((await stat(stateFile)).mtimeMs <= since) return false
        const dump = JSON.parse(await readFile(stateFile, 'utf8')) as {
          best_block_number: number | string
          transactions: { info: { transaction_hash: string } }[]
        }
        return (
          Number(dump.best_block_number) >= last.blockNumber &&
          dump.transactions.some((x) => x.info.transaction_hash.toLowerCase() === last.hash.toLowerCase())
        )
      },
      { timeoutMs: 15_000, intervalMs: 20 },
    )
    process.kill(first.pid, 'SIGKILL')
    await first.stop()
    assert.ok((await stat(stateFile)).size > 0)

    const check = async (rpcUrl: string) => {
      const provider = new JsonRpcProvider(rpcUrl, Network.from(31337), {
        staticNetwork: true,
        cacheTimeout: -1,
      })
      try {
        const c = new Contract(contract, anchorArtifact().abi as never[], provider)
        const anchor = await c.getFunction('anchorOf')(root)
        const registered = await c.getFunction('isNode')(`0x${'11'.repeat(32)}`)
        return { logId: anchor[0], treeSize: anchor[1], registered }
      } finally {
        provider.destroy()
      }
    }
    const second = await startAnvil({ stateFile })
    defer(t, () => second.stop())
    assert.deepEqual(await check(second.rpcUrl), { logId, treeSize: 3n, registered: true })
    await second.stop() // clean stop dumps the state again
    const third = await startAnvil({ stateFile })
    defer(t, () => third.stop())
    assert.deepEqual(await check(third.rpcUrl), { logId, treeSize: 3n, registered: true })
    await third.stop()
  })

  it('rejects when aborted while starting and leaves no process behind', async (t) => {
    const children = () =>
      execFileSync('ps', ['-o', 'args=', '--ppid', String(process.pid)], { encoding: 'utf8' })
    const ac = new AbortController()
    const starting = startAnvil({ signal: ac.signal })
    // should the abort be ignored, the anvil it started is still stopped
    defer(t, async () => (await starting.catch(() => undefined))?.stop())
    ac.abort(new Error('stop'))
    await assert.rejects(starting, /stop/)
    assert.doesNotMatch(children(), /anvil/)
  })
})
