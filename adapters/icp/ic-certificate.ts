/**
 * IC certificate verification for the identity layer (sign-in with Internet Identity): verify a
 * certificate against a root key (BLS12-381 over the hash tree's root, delegations followed by
 * `@dfinity/agent`'s `Certificate`), look paths up in it, read a canister's certified data through
 * `read_state`, and verify a canister signature (the scheme Internet Identity delegations use),
 * all against a given root key — e.g. the mero ICP devnet's (`IcpDevnet.rootKey`, or fetched from
 * `/api/v2/status` of that devnet).
 */
import { createHash } from 'node:crypto'
import {
  type Agent,
  Certificate,
  type HashTree,
  HttpAgent,
  LookupPathStatus,
  lookup_path,
  lookupResultToBuffer,
  reconstruct,
  unwrapDER,
} from '@dfinity/agent'
import { Principal } from '@dfinity/principal'
import { decode } from 'cborg'

/** DER `SEQUENCE(OID 1.3.6.1.4.1.56387.1.2)`: the IC canister-signature public key algorithm. */
export const CANISTER_SIG_OID = Uint8Array.from([
  0x30, 0x0c, 0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xb8, 0x43, 0x01, 0x02,
])

/** Options of {@link verifyIcCertificate}. */
export interface VerifyCertificateOptions {
  /** The canister the certificate must be valid for (checked against a delegation's ranges). */
  readonly canisterId: Principal | string
  /** Reject certificates older than this (default 5 min); `0` skips the time check. */
  readonly maxAgeMinutes?: number
  /**
   * Judge the certificate's age (and the 5 min it may be ahead) as of this time, ms since epoch, not
   * the local clock (default: now) — e.g. when re-checking a sign-in at the time it was made.
   */
  readonly atMs?: number
}

/**
 * The clock `Certificate` reads for its time checks, set to `atMs`: the library takes an agent's
 * `getTimeDiffMsecs()` as the offset from the local clock to the IC's, and syncs no further once
 * `hasSyncedTime()`.
 */
function clockAt(atMs: number): Agent {
  const clock = {
    getTimeDiffMsecs: () => atMs - Date.now(),
    hasSyncedTime: () => true,
    syncTime: async () => {},
  }
  return clock as unknown as Agent
}

/**
 * Verifies a CBOR certificate against `rootKey` (DER, 133 bytes); throws when the signature, the
 * delegation or the time is wrong. Returns the verified certificate for lookups.
 *
 * @example
 * const cert = await verifyIcCertificate(bytes, devnet.rootKey, { canisterId })
 * lookupCertified(cert, ['canister', principal.toUint8Array(), 'certified_data'])
 */
export async function verifyIcCertificate(
  certificate: Uint8Array,
  rootKey: Uint8Array,
  options: VerifyCertificateOptions,
): Promise<Certificate> {
  const maxAge = options.maxAgeMinutes ?? 5
  return Certificate.create({
    certificate,
    rootKey,
    canisterId: Principal.from(options.canisterId),
    ...(maxAge === 0 ? { disableTimeVerification: true } : { maxAgeInMinutes: maxAge }),
    ...(options.atMs === undefined ? {} : { agent: clockAt(options.atMs) }),
  })
}

/** The value at `path` in a verified certificate, `undefined` when absent. */
export function lookupCertified(cert: Certificate, path: (Uint8Array | string)[]): Uint8Array | undefined {
  return lookupResultToBuffer(cert.lookup_path(path))
}

/** A canister's certified data as the replica certifies it. */
export interface CertifiedData {
  /** `ic0.certified_data_set` value (empty when never set). */
  readonly certifiedData: Uint8Array
  /** The certificate it came in (CBOR), verified against the root key. */
  readonly certificate: Uint8Array
  /** Certificate time, ns since epoch. */
  readonly timeNs: bigint
}

/**
 * Reads `canister/<id>/certified_data` through `read_state` at `rpcUrl` and verifies the answer
 * against `rootKey` (default: the root key `rpcUrl` serves — right for a devnet, not for mainnet).
 */
export async function readCertifiedData(
  rpcUrl: string,
  canisterId: Principal | string,
  rootKey?: Uint8Array,
): Promise<CertifiedData> {
  const id = Principal.from(canisterId)
  const agent = HttpAgent.createSync({
    host: rpcUrl,
    shouldFetchRootKey: !rootKey,
    ...(rootKey ? { rootKey } : {}),
    verifyQuerySignatures: false,
  })
  const key = rootKey ?? (await agent.fetchRootKey())
  const path = [
    new TextEncoder().encode('canister'),
    id.toUint8Array(),
    new TextEncoder().encode('certified_data'),
  ]
  const { certificate } = await agent.readState(id, { paths: [path] })
  const cert = await verifyIcCertificate(certificate, key, { canisterId: id })
  const time = lookupCertified(cert, ['time'])
  let timeNs = 0n
  for (const [i, b] of (time ?? new Uint8Array()).entries()) timeNs |= BigInt(b & 0x7f) << BigInt(7 * i)
  return { certifiedData: lookupCertified(cert, path) ?? new Uint8Array(0), certificate, timeNs }
}

/** Splits a canister-signature public key (DER) into the signing canister and the seed. */
export function parseCanisterSigPublicKey(der: Uint8Array): { canisterId: Principal; seed: Uint8Array } {
  const raw = unwrapDER(der, CANISTER_SIG_OID)
  const n = raw[0] ?? 0
  if (n === 0 || raw.length < 1 + n) throw new Error('malformed canister signature public key')
  return { canisterId: Principal.fromUint8Array(raw.subarray(1, 1 + n)), seed: raw.subarray(1 + n) }
}

const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest())

/**
 * Verifies an IC canister signature (what Internet Identity signs delegations with): `signature` is
 * CBOR `{certificate, tree}`; valid when the certificate verifies against `rootKey` for the signing
 * canister, that canister's certified data equals the root hash of `tree`, and `tree` holds the leaf
 * `sig/<sha256(seed)>/<sha256(message)>`. `options` bound the certificate's age (see
 * {@link VerifyCertificateOptions}). Resolves false on any mismatch.
 */
export async function verifyCanisterSignature(
  publicKeyDer: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
  rootKey: Uint8Array,
  options: Pick<VerifyCertificateOptions, 'maxAgeMinutes' | 'atMs'> = {},
): Promise<boolean> {
  try {
    const { canisterId, seed } = parseCanisterSigPublicKey(publicKeyDer)
    const sig = decode(signature, { tags: Object.assign([], { 55799: (d: () => unknown) => d() }) }) as {
      certificate?: Uint8Array
      tree?: HashTree
    }
    if (!(sig.certificate instanceof Uint8Array) || !Array.isArray(sig.tree)) return false
    const cert = await verifyIcCertificate(sig.certificate, rootKey, { ...options, canisterId })
    const certified = lookupCertified(cert, ['canister', canisterId.toUint8Array(), 'certified_data'])
    if (!certified || !Buffer.from(certified).equals(Buffer.from(await reconstruct(sig.tree)))) return false
    const leaf = lookup_path(['sig', sha256(seed), sha256(message)], sig.tree)
    return leaf.status === LookupPathStatus.Found
  } catch {
    return false
  }
}
