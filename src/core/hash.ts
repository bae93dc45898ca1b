/** SHA-256 through `node:crypto` (the fastest choice here, see LIMITS.md). */
import crypto from 'node:crypto'

const hashFn: ((alg: string, data: Uint8Array, enc: 'buffer') => Buffer) | undefined = (
  crypto as unknown as { hash?: (alg: string, data: Uint8Array, enc: 'buffer') => Buffer }
).hash

/** SHA-256 of `data`. */
export function sha256(data: Uint8Array): Uint8Array {
  if (hashFn) {
    const b = hashFn('sha256', data, 'buffer')
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
  }
  const b = crypto.createHash('sha256').update(data).digest()
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
}
