/**
 * meroctl — operator and verifier CLI.
 *
 *   meroctl demo [--data DIR]                                  end-to-end demo against `merod dev`
 *   meroctl verify proof.json --rpc CHAIN=URL [--contract CHAIN=ADDR]   independent proof verification
 */
import { Command, InvalidArgumentError } from 'commander'
import { isMeroError } from '../src/core/errors.ts'
import { ApiError } from './api-client.ts'
import { demoCommand } from './commands/demo.ts'
import { verifyCommand } from './commands/verify.ts'

const int = (v: string) => {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer')
  return n
}
const collect = (v: string, prev: string[] = []) => [...prev, v]

const program = new Command('meroctl').description('mero operator and verifier CLI').showHelpAfterError()

program
  .command('demo')
  .description('create a context, write through JSON-RPC, wait for a final anchor, save and verify the proof')
  .option('--data <dir>', 'data folder of merod dev (reads dev.json)', '.mero/dev')
  .option('--writes <n>', 'values to write', int, 5)
  .option('--out <file>', 'where to save the proof', 'proof.json')
  .option('--timeout <s>', 'seconds to wait for a final anchor', int, 120)
  .action(async (o) => {
    process.exitCode = await demoCommand({
      data: o.data,
      writes: o.writes,
      out: o.out,
      timeoutMs: o.timeout * 1000,
    })
  })

program
  .command('verify')
  .description('verify a proof trusting nothing but the given chain RPCs')
  .argument('<proof>', 'proof JSON file')
  .option(
    '--rpc <chain=url>',
    'RPC of a chain, e.g. eip155:31337=http://127.0.0.1:8545 (repeatable)',
    collect,
  )
  .option(
    '--contract <chain=address>',
    'pin the anchor contract of a chain (repeatable; default: the one the proof names)',
    collect,
  )
  .option('--json', 'print the result as JSON')
  .action(async (file, o) => {
    process.exitCode = await verifyCommand(file, { rpc: o.rpc, contract: o.contract, json: o.json })
  })

program.parseAsync().catch((e) => {
  if (isMeroError(e) || e instanceof ApiError)
    console.error(`meroctl: ${e instanceof ApiError ? e.message : `${e.name}: ${e.message}`}`)
  else console.error('meroctl:', e)
  process.exitCode = 2
})
