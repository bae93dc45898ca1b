/**
 * Ethereum for `merod dev`: a real anvil (from npm) with its state in the chain's folder, the
 * `MeroAnchor` contract deployed once and reused, and the node key registered — or, with `rpcUrl`, an
 * existing chain (e.g. a compose service) that has anvil's dev accounts.
 */
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { JsonRpcProvider } from 'ethers'
import { createEthereumAdapter } from '../../adapters/ethereum/ethereum-adapter.ts'
import type { DevChain, DevChainOptions, StartDevChain } from '../dev-chain.ts'
import { readRememberedContract, rememberContract, writeSignerKeyFile } from '../dev-chain-files.ts'
import { startAnvil } from './anvil.ts'
import { deployAnchorContract } from './deploy.ts'

/** anvil's first well-known dev account (mnemonic "test test … junk"): public knowledge, for local chains only. */
const ANVIL_DEV_ACCOUNT = {
  address: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
  privateKey: '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
}

/**
 * A `merod dev` killed with -9 leaves its anvil running (and dumping state into the same file). The
 * pid file names the anvil this data folder started; stop it — only if it still is that anvil — before
 * starting a new one, so two chains never write one state file.
 */
async function stopStaleAnvil(pidFile: string, stateFile: string): Promise<void> {
  let pid: number
  try {
    pid = Number((await readFile(pidFile, 'utf8')).trim())
  } catch {
    return
  }
  let cmdline = ''
  try {
    cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ')
  } catch {
    return // not running (or no /proc): nothing to stop
  }
  if (!Number.isInteger(pid) || !cmdline.includes('anvil') || !cmdline.includes(stateFile)) return
  process.kill(pid, 'SIGTERM')
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0)
    } catch {
      return
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  process.kill(pid, 'SIGKILL')
}

/** The chain behind `merod dev`'s Ethereum entry: a started anvil, or an external RPC. */
async function startOrAttach(options: DevChainOptions) {
  if (options.rpcUrl) {
    const provider = new JsonRpcProvider(options.rpcUrl)
    const network = await provider.getNetwork()
    provider.destroy()
    return { rpcUrl: options.rpcUrl, chainId: Number(network.chainId), external: true, stop: async () => {} }
  }
  const stateFile = join(options.dataDir, 'anvil-state.json')
  const pidFile = join(options.dataDir, 'anvil.pid')
  await stopStaleAnvil(pidFile, stateFile)
  const anvil = await startAnvil({ port: 0, stateFile, chainId: 31337 })
  await writeFile(pidFile, `${anvil.pid}\n`)
  return {
    rpcUrl: anvil.rpcUrl,
    chainId: anvil.chainId,
    external: false,
    stop: async () => {
      await anvil.stop()
      await rm(pidFile, { force: true })
    },
  }
}

/** Starts (or attaches to) the dev Ethereum chain: contract deployed once, node registered. */
export const startEthereumDevChain: StartDevChain = async (options): Promise<DevChain> => {
  const chain = await startOrAttach(options)
  try {
    const chainId = `eip155:${chain.chainId}`
    // The contract survives restarts in anvil's state; redeploy only when it is not there.
    const chainFile = join(options.dataDir, 'ethereum.json')
    let contract = await readRememberedContract(chainFile)
    const provider = new JsonRpcProvider(chain.rpcUrl, chain.chainId, {
      staticNetwork: true,
      cacheTimeout: -1,
    })
    const deployed = contract ? (await provider.getCode(contract)) !== '0x' : false
    provider.destroy()
    if (!contract || !deployed) {
      contract = await deployAnchorContract(chain.rpcUrl, ANVIL_DEV_ACCOUNT.privateKey)
      await rememberContract(chainFile, chainId, contract)
    }
    // Dev uses anvil's first account as contract owner and as the node's submitter.
    const signerKeyFile = join(options.dataDir, 'ethereum-submitter.key')
    await writeSignerKeyFile(signerKeyFile, ANVIL_DEV_ACCOUNT.privateKey)
    const owner = createEthereumAdapter({
      rpcUrl: chain.rpcUrl,
      chainId,
      contract,
      privateKey: ANVIL_DEV_ACCOUNT.privateKey,
      pollMs: 50,
    })
    try {
      if (!(await owner.isNode(options.nodeKey))) await owner.registerNode(options.nodeKey, 'merod dev')
    } finally {
      await owner.close()
    }
    return {
      config: {
        chainId,
        kind: 'ethereum',
        rpcUrl: chain.rpcUrl,
        contract,
        confirmations: 1,
        pollMs: 50,
        signerKeyFile,
      },
      description: chain.external
        ? 'external RPC'
        : `anvil, state in ${join(options.dataDir, 'anvil-state.json')}`,
      stop: chain.stop,
    }
  } catch (e) {
    await chain.stop()
    throw e
  }
}
