import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { Contract, JsonRpcProvider, Network, Wallet } from 'ethers'
import { anchorArtifact } from '../../contracts/ethereum/anchor-artifact.ts'
import { startAnvil } from './anvil.ts'
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
  it('starts on a free 127.0.0.1 port with funded accounts and the requested chain id; stop() ends the child', async () => {
    const [a, b] = await Promise.all([startAnvil({ chainId: 1337, accounts: 3 }), startAnvil()])
    try {
      assert.notEqual(a.port, b.port)
      assert.match(a.rpcUrl, /^http:\/\/127\.0\.0\.1:\d+$/)
      assert.equal(a.accounts.length, 3)
      const provider = new JsonRpcProvider(a.rpcUrl, undefined, { staticNetwork: true })
      assert.equal((await provider.getNetwork()).chainId, 1337n)
      assert.ok((await provider.getBalance(a.accounts[2]!.address)) > 10n ** 18n)
      assert.equal(new Wallet(a.accounts[1]!.privateKey).address, a.accounts[1]!.address)
      provider.destroy()
    } finally {
      await a.stop()
      await a.stop() // idempotent
    }
    assert.equal(alive(a.pid), false)
    assert.equal(alive(b.pid), true, 'stopping one devnet leaves the other running')
    await b.stop()
  })

  it('a state file keeps the contract and its anchors across a kill -9 and a clean restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mero-anvil-state-'))
    const stateFile = join(dir, 'state.json')
    try {
      const first = await startAnvil({ stateFile })
      const owner = first.accounts[0]!
      const contract = await deployAnchorContract(first.rpcUrl, owner.privateKey)
      const root = `0x${'ab'.repeat(32)}`
      const logId = `0x${'cd'.repeat(32)}`
      {
        const provider = new JsonRpcProvider(first.rpcUrl, Network.from(31337), {
          staticNetwork: true,
          cacheTimeout: -1,
        })
        const c = new Contract(
          contract,
          anchorArtifact().abi as never[],
          new Wallet(owner.privateKey, provider),
        )
        await (await c.getFunction('registerNode')(`0x${'11'.repeat(32)}`, owner.address, 'n')).wait()
        await (await c.getFunction('anchor')(logId, 3n, root)).wait()
        provider.destroy()
      }
      // The state is dumped every second: after 1.5 s a kill -9 loses nothing.
      await new Promise((r) => setTimeout(r, 1500))
      process.kill(first.pid, 'SIGKILL')
      await first.stop()
      assert.ok((await stat(stateFile)).size > 0)

      const check = async (rpcUrl: string) => {
        const provider = new JsonRpcProvider(rpcUrl, Network.from(31337), {
          staticNetwork: true,
          cacheTimeout: -1,
        })
        const c = new Contract(contract, anchorArtifact().abi as never[], provider)
        const anchor = await c.getFunction('anchorOf')(root)
        const registered = await c.getFunction('isNode')(`0x${'11'.repeat(32)}`)
        provider.destroy()
        return { logId: anchor[0], treeSize: anchor[1], registered }
      }
      const second = await startAnvil({ stateFile })
      assert.deepEqual(await check(second.rpcUrl), { logId, treeSize: 3n, registered: true })
      await second.stop() // clean stop dumps the state again
      const third = await startAnvil({ stateFile })
      assert.deepEqual(await check(third.rpcUrl), { logId, treeSize: 3n, registered: true })
      await third.stop()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('rejects when aborted while starting and leaves no process behind', async () => {
    const children = () =>
      execFileSync('ps', ['-o', 'args=', '--ppid', String(process.pid)], { encoding: 'utf8' })
    const ac = new AbortController()
    const starting = startAnvil({ signal: ac.signal })
    ac.abort(new Error('stop'))
    await assert.rejects(starting, /stop/)
    assert.doesNotMatch(children(), /anvil/)
  })
})
