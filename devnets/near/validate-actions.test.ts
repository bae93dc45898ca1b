import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { TxAction } from './signed-transaction.ts'
import { actionsValidationError } from './validate-actions.ts'

const call = (gas: bigint, methodName = 'anchor', args = new Uint8Array(2)): TxAction => ({
  kind: 'FunctionCall',
  methodName,
  args,
  gas,
  deposit: 0n,
})

describe("nearcore's validate_actions", () => {
  it('refuses what nearcore refuses and accepts the rest', () => {
    const del: TxAction = { kind: 'DeleteAccount', beneficiaryId: 'test.near' }
    const transfer: TxAction = { kind: 'Transfer', deposit: 1n }
    assert.equal(actionsValidationError([transfer, del]), undefined)
    assert.equal(actionsValidationError([del, transfer]), 'DeleteActionMustBeFinal')
    assert.deepEqual(actionsValidationError(Array.from({ length: 101 }, () => transfer)), {
      TotalNumberOfActionsExceeded: { total_number_of_actions: 101, limit: 100 },
    })
    assert.equal(actionsValidationError([call(0n)]), 'FunctionCallZeroAttachedGas')
    assert.deepEqual(actionsValidationError([call(200_000_000_000_000n), call(200_000_000_000_000n)]), {
      TotalPrepaidGasExceeded: { total_prepaid_gas: 400_000_000_000_000, limit: 300_000_000_000_000 },
    })
    assert.deepEqual(actionsValidationError([call(1n, 'm'.repeat(257))]), {
      FunctionCallMethodNameLengthExceeded: { length: 257, limit: 256 },
    })
    assert.equal(actionsValidationError([call(1n, 'm'.repeat(256))]), undefined)
  })
})
