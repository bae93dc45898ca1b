import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { startAnvil } from '../devnets/ethereum/anvil.ts'
import { freePort, spawnNode } from '../test/helpers/child-process.ts'
import { defer } from '../test/helpers/defer.ts'
import { startMerodDev } from '../test/helpers/merod-dev.ts'
import { DEV_CHAINS } from './chain-adapters.ts'

/** Runs `node bin/meroctl.js …` to completion. */
async function meroctl(args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawnNode(['bin/meroctl.js', ...args])
  const exit = await child.exited
  return { code: exit.code, out: child.output() }
}

test('meroctl demo and meroctl verify against a real merod dev with every chain (anvil + the devnets)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mero-ctl-'))
  defer(t, () => rm(dir, { recursive: true, force: true }))
  const anvil = await startAnvil({ port: 0 })
  defer(t, () => anvil.stop())
  const data = join(dir, 'dev')
  const merod = await startMerodDev({
    data,
    port: await freePort(),
    ethRpc: anvil.rpcUrl,
    intervalMs: 200,
    chains: Object.keys(DEV_CHAINS),
  })
  defer(t, () => merod.process.stop())

  const proofFile = join(dir, 'proof.json')
  const demo = await meroctl(['demo', '--data', data, '--writes', '3', '--out', proofFile, '--timeout', '60'])
  assert.equal(demo.code, 0, demo.out)
  assert.match(demo.out, /created context/)
  assert.match(demo.out, /final/)
  assert.match(demo.out, /Proof verified/)

  const dev = JSON.parse(await readFile(join(data, 'dev.json'), 'utf8'))
  // the demo waited for a final anchor on every chain and verified each against its own RPC
  assert.deepEqual(
    dev.chains.map((c: { kind: string }) => c.kind),
    Object.keys(DEV_CHAINS),
  )
  for (const c of dev.chains as { chainId: string }[]) {
    assert.match(demo.out, new RegExp(`✓ anchor\\.${c.chainId}`), demo.out)
    assert.match(demo.out, new RegExp(`✓ signer\\.registered\\.${c.chainId}`), demo.out)
  }
  const contract = dev.chains[0].contract as string
  const rpc = ['--rpc', `eip155:31337=${anvil.rpcUrl}`]
  const pin = ['--contract', `eip155:31337=${contract}`]

  const good = await meroctl(['verify', proofFile, ...rpc, ...pin])
  assert.equal(good.code, 0, good.out)
  for (const check of [
    'leaf.signature',
    'leaf.hash',
    'inclusion',
    'checkpoint.signature',
    'anchor.eip155:31337',
    'signer.registered.eip155:31337',
  ])
    assert.match(good.out, new RegExp(`✓ ${check.replace('.', '\\.')}`), check)

  const json = await meroctl(['verify', proofFile, ...rpc, ...pin, '--json'])
  assert.equal(JSON.parse(json.out).ok, true)

  // each tampering fails, and the output names the check that failed
  const proof = JSON.parse(await readFile(proofFile, 'utf8'))
  const flip = (hex: string, at: number) =>
    `${hex.slice(0, at)}${hex[at] === '0' ? '1' : '0'}${hex.slice(at + 1)}`
  const cases: [string, (p: typeof proof) => void, string][] = [
    [
      'attester signature',
      (p) => {
        p.leaf.bytes = flip(p.leaf.bytes, 2 + 2 * 100)
      },
      'leaf.fields',
    ],
    [
      'leaf signature field and bytes',
      (p) => {
        p.leaf.signature = flip(p.leaf.signature, 10)
        p.leaf.bytes = p.leaf.bytes.slice(0, 2 + 2 * 160) + p.leaf.signature.slice(2)
      },
      'leaf.signature',
    ],
    [
      'leaf index',
      (p) => {
        p.leafIndex += 1
      },
      'inclusion',
    ],
    [
      'checkpoint note',
      (p) => {
        p.checkpoint.note = p.checkpoint.note.replace(
          /\n(\d+)\n/,
          (_: string, n: string) => `\n${Number(n) + 1}\n`,
        )
      },
      'checkpoint.signature',
    ],
    [
      'root hash',
      (p) => {
        p.checkpoint.rootHash = flip(p.checkpoint.rootHash, 5)
      },
      'inclusion',
    ],
  ]
  for (const [what, mutate, check] of cases) {
    const bad = structuredClone(proof)
    mutate(bad)
    const file = join(dir, `bad-${check}.json`)
    await writeFile(file, JSON.stringify(bad))
    const r = await meroctl(['verify', file, ...rpc, ...pin])
    assert.equal(r.code, 1, `${what}: ${r.out}`)
    assert.match(r.out, new RegExp(`✗ ${check.replace('.', '\\.')}`), `${what} must fail ${check}: ${r.out}`)
  }

  // a contract that has no such anchor (the verifier pins it, the proof cannot choose it)
  const wrong = await meroctl([
    'verify',
    proofFile,
    ...rpc,
    '--contract',
    'eip155:31337=0x000000000000000000000000000000000000dEaD',
  ])
  assert.equal(wrong.code, 1, wrong.out)
  assert.match(wrong.out, /✗ anchor\.eip155:31337/)

  // no RPC for the proof's chain: nothing anchored could be checked
  const none = await meroctl(['verify', proofFile])
  assert.equal(none.code, 1)
  assert.match(none.out, /✗ anchored/)

  // not a proof at all
  await writeFile(join(dir, 'junk.json'), '{"version":2}')
  const junk = await meroctl(['verify', join(dir, 'junk.json'), ...rpc])
  assert.equal(junk.code, 1)
  assert.match(junk.out, /✗ schema/)
})
