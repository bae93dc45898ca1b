/**
 * Stellar network facts and small helpers shared by the adapter's files: the passphrases of the
 * CAIP-2 `stellar:<network>` ids and the reason text of a failed transaction.
 */
import { xdr } from '@stellar/stellar-sdk'

/** Network passphrases of the CAIP-2 `stellar:<network>` ids. */
export const STELLAR_PASSPHRASES: Readonly<Record<string, string>> = {
  pubnet: 'Public Global Stellar Network ; September 2015',
  testnet: 'Test SDF Network ; September 2015',
  futurenet: 'Test SDF Future Network ; October 2022',
  standalone: 'Standalone Network ; February 2017',
}

/** Horizon-style reason of a failed transaction from its result XDR, e.g. `tx_failed: manage_data name_not_found`. */
export function failureReason(resultXdr: string): string {
  try {
    const json = JSON.parse(
      JSON.stringify(xdr.TransactionResult.fromXDR(resultXdr, 'base64'), (_k, v) =>
        typeof v === 'bigint' ? v.toString() : v,
      ),
    ) as { result: unknown }
    if (typeof json.result === 'string') return json.result
    const [code, ops] = Object.entries(json.result as Record<string, unknown[]>)[0] ?? ['tx_failed', []]
    const failed = (ops ?? [])
      .map((o) => JSON.stringify(o).replace(/[{}"]/g, '').replace(/:/g, ' '))
      .filter((o) => !o.endsWith('success'))
    return failed.length ? `${code}: ${failed.join(', ')}` : code
  } catch {
    return 'tx_failed'
  }
}
