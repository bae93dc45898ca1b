import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { anchorCalldata, decodeByteArray, encodeByteArray, selectorOf } from './anchor-calldata.ts'
import { loadAnchorCases, runCaseOnModel } from './anchor-cases.ts'
import { AnchorRevert, constructAnchor, executeAnchor } from './anchor-model.ts'
import { CAIRO_TESTS_FILE, generateCairoTests } from './generate-cairo-tests.ts'

describe('starknet anchor contract model: the shared case table', () => {
  const table = loadAnchorCases()
  table.cases.forEach((c, i) => {
    it(c.name, () => {
      assert.deepEqual(runCaseOnModel(table, i), [])
    })
  })
  it('the snforge tests are generated from this table (lockstep with the Cairo source)', () => {
    assert.equal(readFileSync(CAIRO_TESTS_FILE, 'utf8'), generateCairoTests(table))
  })
  it('the Cairo source panics with exactly the reasons the table expects', () => {
    const cairo = readFileSync(new URL('./src/lib.cairo', import.meta.url), 'utf8')
    const reasons = new Set(
      table.cases.flatMap((c) =>
        c.steps.flatMap((s) => ('expect' in s && 'revert' in s.expect ? [s.expect.revert] : [])),
      ),
    )
    // Serde failures come from the compiler-generated ABI wrappers, not from lib.cairo.
    const generated = (r: string) =>
      r.startsWith('Failed to deserialize') || r === 'Input too long for arguments'
    for (const r of [...reasons].filter((x) => !generated(x)))
      assert.ok(cairo.includes(`'${r}'`), `lib.cairo panics with '${r}'`)
    for (const fn of [
      'anchor',
      'anchor_of',
      'register_node',
      'revoke_node',
      'is_node',
      'node_of',
      'is_submitter',
      'owner',
    ])
      assert.match(cairo, new RegExp(`fn ${fn}\\(`), fn)
  })
})

describe('starknet anchor contract model', () => {
  const ctx = { caller: 0x1001n, height: 3, timestamp: 1_700_000_000 }
  it('a revert leaves the state untouched and malformed calldata fails like Serde', () => {
    const s = constructAnchor([0x1001n])
    const before = structuredClone(s)
    assert.throws(() => executeAnchor(s, ctx, selectorOf('anchor'), anchorCalldata(1n, 1n, 2n)), {
      reason: 'NOT_SUBMITTER',
    })
    assert.throws(
      () => executeAnchor(s, ctx, selectorOf('anchor'), [1n, 0n, 1n]),
      (e: unknown) => e instanceof AnchorRevert && e.reason === 'Failed to deserialize param #3',
    )
    assert.throws(
      () => executeAnchor(s, ctx, selectorOf('anchor_of'), [1n << 128n, 0n]),
      (e: unknown) => e instanceof AnchorRevert && e.reason.startsWith('Failed to deserialize'),
    )
    assert.throws(() => executeAnchor(s, ctx, selectorOf('nope'), []), { reason: 'ENTRYPOINT_NOT_FOUND' })
    assert.deepEqual(s, before)
  })
  it('emits Anchored with log_id and root as keys', () => {
    const s = constructAnchor([0x1001n])
    executeAnchor(s, ctx, selectorOf('register_node'), [5n, 0n, 0x1001n, ...encodeByteArray('m')])
    const r = executeAnchor(s, ctx, selectorOf('anchor'), anchorCalldata(9n, 4n, 8n))
    assert.deepEqual(r.events, [{ keys: [selectorOf('Anchored'), 9n, 0n, 8n, 0n], data: [4n, 0x1001n] }])
  })
  it('ByteArray round-trips across word boundaries', () => {
    for (const s of ['', 'a', 'x'.repeat(31), 'y'.repeat(62), 'zé ünïcode'.repeat(5)]) {
      const f = encodeByteArray(s)
      assert.deepEqual(decodeByteArray(f), { value: s, used: f.length })
    }
  })
})
