import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { prepareContract } from '../../devnets/near/contract-runtime.ts'
import { wasmExports, wasmImports } from '../../devnets/near/wasm-api.ts'
import { compileNearAnchor, nearAnchorWasm } from './compile-anchor.ts'

describe('NEAR anchor artifact', () => {
  it('rebuilding gives the checked-in bytes (run `npm run build` when this fails)', async () => {
    const fresh = await compileNearAnchor()
    assert.deepEqual(Buffer.from(fresh), Buffer.from(nearAnchorWasm()))
  })

  it("passes nearcore's contract preparation and exports the DESIGN §7 methods", () => {
    const module = prepareContract(nearAnchorWasm())
    const names = wasmExports(module)
      .filter((e) => e.kind === 'function')
      .map((e) => e.name)
      .sort()
    assert.deepEqual(names, [
      'anchor',
      'anchor_of',
      'init',
      'is_node',
      'is_submitter',
      'node_of',
      'owner',
      'register_node',
      'revoke_node',
      'verify_inclusion',
    ])
    for (const i of wasmImports(module)) assert.equal(i.module, 'env')
  })
})
