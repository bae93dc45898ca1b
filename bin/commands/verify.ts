/**
 * `meroctl verify proof.json --rpc chainId=url …`: the independent verifier. It trusts nothing but
 * the RPC endpoints it is given (and, when pinned with --contract, the contract addresses).
 */
import { readFile } from 'node:fs/promises'
import type { ChainAdapter } from '../../src/chain/chain-adapter.ts'
import { loadConfig } from '../../src/core/config.ts'
import { InvalidInput } from '../../src/core/errors.ts'
import { type VerificationCheck, type VerificationResult, verifyProof } from '../../src/proof/verify-proof.ts'
import { createChainAdapter, kindOfChain } from '../chain-adapters.ts'

/** Parses `chainId=value` pairs (`eip155:31337=http://…`); the chain id itself contains a colon. */
export function parsePairs(pairs: string[] = [], what: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const p of pairs) {
    const i = p.indexOf('=')
    if (i <= 0 || i === p.length - 1)
      throw new InvalidInput(`${what} must look like chainId=value, got '${p}'`)
    out.set(p.slice(0, i), p.slice(i + 1))
  }
  return out
}

const mark = (c: VerificationCheck) => (c.skipped ? '–' : c.ok ? '✓' : '✗')

/** Prints one check line. */
export function printCheck(
  c: VerificationCheck,
  write: (s: string) => void = (s) => process.stdout.write(s),
): void {
  write(`  ${mark(c)} ${c.name.padEnd(38)} ${c.detail}\n`)
}

/** Verifies a proof object with readers for the given RPCs. */
export async function verifyWithRpcs(
  proof: unknown,
  rpcs: Map<string, string>,
  contracts: Map<string, string>,
  onCheck?: (c: VerificationCheck) => void,
): Promise<VerificationResult> {
  const anchors = ((proof as { anchors?: { chainId?: string; contract?: string }[] })?.anchors ?? []).filter(
    (a) => typeof a?.chainId === 'string',
  )
  const readers = new Map<string, ChainAdapter>()
  const notes: VerificationCheck[] = []
  try {
    for (const [chainId, rpcUrl] of rpcs) {
      const pinned = contracts.get(chainId)
      const claimed = anchors.find((a) => a.chainId === chainId)?.contract
      const contract = pinned ?? claimed
      if (!contract) continue
      if (!pinned)
        notes.push({
          name: `contract.${chainId}`,
          ok: true,
          skipped: true,
          detail: `contract ${contract} taken from the proof; pin it with --contract ${chainId}=ADDRESS`,
        })
      const config = loadConfig({
        dataDir: '.',
        chains: [{ chainId, kind: kindOfChain(chainId), rpcUrl, contract }],
      }).chains[0]!
      readers.set(chainId, await createChainAdapter(config, { readOnly: true }))
    }
    for (const n of notes) onCheck?.(n)
    const result = await verifyProof(proof, { readers, onCheck })
    return { ok: result.ok, checks: [...notes, ...result.checks] }
  } finally {
    await Promise.all([...readers.values()].map((r) => r.close()))
  }
}

/** The `verify` command: exit code 0 when the proof verifies, 1 when a check failed. */
export async function verifyCommand(
  file: string,
  options: { rpc?: string[]; contract?: string[]; json?: boolean },
): Promise<number> {
  let proof: unknown
  try {
    proof = JSON.parse(await readFile(file, 'utf8'))
  } catch (e) {
    throw new InvalidInput(`cannot read proof ${file}: ${(e as Error).message}`)
  }
  const rpcs = parsePairs(options.rpc, '--rpc')
  const contracts = parsePairs(options.contract, '--contract')
  if (!options.json) process.stdout.write(`Verifying ${file}\n`)
  const result = await verifyWithRpcs(proof, rpcs, contracts, options.json ? undefined : (c) => printCheck(c))
  if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
  else {
    const failed = result.checks.filter((c) => !c.ok && !c.skipped)
    process.stdout.write(
      result.ok
        ? '\nProof verified.\n'
        : `\nProof NOT verified: ${failed.map((c) => c.name).join(', ')} failed.\n`,
    )
  }
  return result.ok ? 0 : 1
}
