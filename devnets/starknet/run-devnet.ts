/**
 * Runs the Starknet devnet as a process: `node bin/run.js devnets/starknet/run-devnet.ts <dataDir>
 * <port> [blockMs]`. Prints `READY <url>` once listening; SIGTERM / SIGINT stop it cleanly (pending
 * transactions go into a last block), SIGKILL is a crash (pending transactions are lost, as on a node).
 */
import { startStarknetDevnet } from './starknet-devnet.ts'

const [dataDir, port, blockMs] = process.argv.slice(2)
if (!dataDir || !port) {
  console.error('usage: run-devnet.ts <dataDir> <port> [blockMs]')
  process.exit(2)
}
const devnet = await startStarknetDevnet({ dataDir, port: Number(port), blockMs: Number(blockMs ?? 0) })
console.log(`READY ${devnet.url}`)
for (const sig of ['SIGTERM', 'SIGINT'] as const)
  process.once(sig, () => {
    devnet.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  })
