/**
 * keccak-256 on the native `keccak` addon's sponge, called directly: the package's `createKeccakHash`
 * wraps every hash in a readable-stream `Transform`, which costs as much as the hash itself for the short
 * inputs of sign-in (~9 µs → ~5 µs per hash). Falls back to `createKeccakHash` (the package's own
 * pure-JS fallback included) when the addon cannot be loaded.
 */
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import createKeccakHash from 'keccak'

/** The addon's sponge (keccak's `KeccakState`). */
interface Sponge {
  initialize(rate: number, capacity: number): void
  absorb(data: Buffer): void
  absorbLastFewBits(bits: number): void
  squeeze(length: number): Buffer
}

function loadNativeSponge(): (new () => Sponge) | undefined {
  try {
    const require = createRequire(import.meta.url)
    const load = require('node-gyp-build') as (dir: string) => unknown
    const addon = load(dirname(require.resolve('keccak/package.json')))
    return typeof addon === 'function' ? (addon as new () => Sponge) : undefined
  } catch {
    return undefined
  }
}

const NativeSponge = loadNativeSponge()

/** Whether {@link keccak256} runs on the native addon (false: the `keccak` package's own path). */
export const KECCAK_NATIVE = NativeSponge !== undefined

const asBuffer = (b: Uint8Array) =>
  Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)

/**
 * keccak-256 (Ethereum's, not SHA3-256) of the concatenation of `parts`.
 *
 * @example
 * keccak256(Buffer.from('')) // c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470
 */
export function keccak256(...parts: Uint8Array[]): Buffer {
  if (NativeSponge) {
    const s = new NativeSponge()
    s.initialize(1088, 512)
    for (const p of parts) s.absorb(asBuffer(p))
    s.absorbLastFewBits(0x01)
    return s.squeeze(32)
  }
  const h = createKeccakHash('keccak256')
  for (const p of parts) h.update(asBuffer(p))
  return h.digest()
}
