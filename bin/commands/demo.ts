/**
 * `meroctl demo`: against a running `merod dev`, create a context, write values through JSON-RPC,
 * wait until the heads attestation is anchored and final, save the proof, verify it independently.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Proof } from '../../src/proof/proof-types.ts'
import { apiClient } from '../api-client.ts'
import type { DevSummary } from './dev.ts'
import { printCheck, verifyWithRpcs } from './verify.ts'

/** Options of the demo. */
export interface DemoOptions {
  data: string
  writes: number
  out: string
  timeoutMs: number
  write?: (s: string) => void
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Runs the demo; resolves to the process exit code. */
export async function demoCommand(options: DemoOptions): Promise<number> {
  const out = options.write ?? ((s: string) => process.stdout.write(s))
  const devFile = join(resolve(options.data), 'dev.json')
  let dev: DevSummary
  try {
    dev = JSON.parse(await readFile(devFile, 'utf8'))
  } catch {
    out(`No running dev node found (${devFile} missing). Start one first:  npm start\n`)
    return 2
  }
  const token = (await readFile(dev.adminTokenFile, 'utf8')).trim()
  const api = apiClient(dev.api, token)
  const started = Date.now()
  const t = () => `${((Date.now() - started) / 1000).toFixed(1)}s`.padStart(6)

  out(`Node ${dev.api}, chain ${dev.chains.map((c) => c.chainId).join(', ')}\n\n`)
  const { data: ctx } = await api.post<{ data: { contextId: string; memberPublicKey: string } }>(
    '/admin-api/contexts',
    {},
  )
  out(`${t()}  created context ${ctx.contextId}\n         member ${ctx.memberPublicKey}\n`)
  let lastDelta = ''
  for (let i = 1; i <= options.writes; i++) {
    const r = await api.execute({
      contextId: ctx.contextId,
      method: 'set',
      argsJson: JSON.stringify({ key: `greeting-${i}`, value: `hello #${i} at ${new Date().toISOString()}` }),
      executorPublicKey: ctx.memberPublicKey,
    })
    lastDelta = r.deltaId ?? lastDelta
  }
  const entries = await api.execute({
    contextId: ctx.contextId,
    method: 'entries',
    argsJson: '{}',
    executorPublicKey: ctx.memberPublicKey,
  })
  out(
    `${t()}  wrote ${options.writes} values through JSON-RPC (last delta ${lastDelta}); entries: ${(entries.output as unknown[]).length}\n`,
  )

  const { data: info } = await api.get<{ data: { heads: string[]; stateRoot: string } }>(
    `/admin-api/contexts/${ctx.contextId}`,
  )
  out(`${t()}  heads ${info.heads.join(', ')}\n         stateRoot ${info.stateRoot}\n`)

  let proof: Proof | undefined
  let last = ''
  const deadline = Date.now() + options.timeoutMs
  while (Date.now() < deadline) {
    try {
      const p = await api.get<Proof>(`/v1/contexts/${ctx.contextId}/proof`)
      const current = p.leaf.stateRoot === info.stateRoot
      const status = current
        ? p.anchors
            .map((a) => `${a.chainId} ${a.status}${a.height !== undefined ? ` @${a.height}` : ''}`)
            .join(', ') || 'checkpoint cut, anchor not queued yet'
        : 'waiting for the attestation of the latest heads'
      const line = `leaf #${p.leafIndex} in checkpoint ${p.checkpoint.treeSize}: ${status}`
      if (line !== last) out(`${t()}  ${line}\n`)
      last = line
      const final = (chainId: string) => p.anchors.some((a) => a.chainId === chainId && a.status === 'final')
      if (current && dev.chains.every((c) => final(c.chainId))) {
        proof = p
        break
      }
      if (p.anchors.some((a) => a.status === 'failed')) {
        out(`${t()}  anchoring failed: ${p.anchors.map((a) => a.reason).join('; ')}\n`)
        return 1
      }
    } catch (e) {
      const name = (e as { errorName?: string }).errorName
      if (name !== 'ProofNotReady') throw e
      if (last !== 'not-ready') out(`${t()}  waiting for the next checkpoint…\n`)
      last = 'not-ready'
    }
    await sleep(100)
  }
  if (!proof) {
    out(`${t()}  timed out after ${options.timeoutMs} ms waiting for a final anchor\n`)
    return 1
  }
  const file = resolve(options.out)
  await writeFile(file, `${JSON.stringify(proof, null, 2)}\n`)
  out(`${t()}  proof saved to ${file}\n\nVerifying independently (trusting only the chain RPC):\n`)
  const rpcs = new Map(dev.chains.map((c) => [c.chainId, c.rpcUrl]))
  const contracts = new Map(dev.chains.map((c) => [c.chainId, c.contract]))
  const result = await verifyWithRpcs(proof, rpcs, contracts, (c) => printCheck(c, out))
  const rpcArgs = dev.chains
    .map((c) => `--rpc ${c.chainId}=${c.rpcUrl} --contract ${c.chainId}=${c.contract}`)
    .join(' ')
  out(
    result.ok
      ? `\nProof verified. Check it yourself:\n  npx meroctl verify ${options.out} ${rpcArgs}\n`
      : '\nProof NOT verified.\n',
  )
  return result.ok ? 0 : 1
}
