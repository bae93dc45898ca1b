import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { IDL } from '@dfinity/candid'
import { ANCHOR_CANDID_PATH, anchorCanisterWasm, anchorIdlFactory } from './anchor-canister.ts'

interface WasmIntrospection {
  compile(b: Uint8Array): Promise<object>
  Module: { imports(m: object): { module: string; name: string }[] }
}

const root = fileURLToPath(new URL('../../', import.meta.url))
const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex')

describe('mero_anchor artifact', () => {
  it('rebuilding mero_anchor.mo with motoko 3.9.1 gives the checked-in wasm and .did byte for byte', () => {
    // A fresh process: moc is deterministic for the first compile of a process.
    const out = execFileSync(process.execPath, ['bin/run.js', 'contracts/icp/build.ts', '--stdout-hash'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    }).trim()
    assert.equal(out, `${sha256(anchorCanisterWasm())} ${sha256(readFileSync(ANCHOR_CANDID_PATH, 'utf8'))}`)
  })

  it('the checked-in .did has DESIGN §7 anchor_of and the IDL factory agrees with it', () => {
    const did = readFileSync(ANCHOR_CANDID_PATH, 'utf8')
    assert.match(did, /anchor_of: \(blob\) -> \(opt Anchor\) query;/)
    for (const f of [
      'height: nat64',
      'log_id: blob',
      'submitter: principal',
      'timestamp: nat64',
      'tree_size: nat64',
    ])
      assert.ok(did.includes(f), f)
    const service = anchorIdlFactory({ IDL })
    const sig = (t: IDL.FuncClass) =>
      `(${t.argTypes.map((a) => a.display()).join(', ')}) -> (${t.retTypes.map((a) => a.display()).join(', ')})${t.annotations.includes('query') ? ' query' : ''}`
    const methods = Object.fromEntries(service._fields.map(([n, f]) => [n, sig(f)]))
    // Every method of the .did exists in the factory with the same query annotation and arity.
    const lines = [...did.matchAll(/^\s+(\w+): \((.*)\) -> \((.*)\)( query)?;$/gm)]
    assert.equal(lines.length, Object.keys(methods).length)
    for (const [, name, args, , q] of lines) {
      assert.ok(methods[name!], `factory lacks ${name}`)
      assert.equal(methods[name!]!.endsWith(' query'), q !== undefined, name)
      assert.equal(
        args ? args.split(',').length : 0,
        service._fields.find(([n]) => n === name)![1].argTypes.length,
        name,
      )
    }
  })

  it('is a wasm32 module importing only ic0', async () => {
    const W = (globalThis as unknown as { WebAssembly: WasmIntrospection }).WebAssembly
    const m = await W.compile(anchorCanisterWasm()) // Node cannot compile memory64 modules
    const mods = new Set(W.Module.imports(m).map((i) => i.module))
    assert.deepEqual([...mods], ['ic0'])
  })
})
