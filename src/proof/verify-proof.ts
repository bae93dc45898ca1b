/**
 * The independent verifier of proof v1 (DESIGN §10). It trusts nothing but the chain readers it is
 * given: every hash, signature and path is recomputed here, and each anchor is read back from the
 * chain. Each check is reported by name, so a failure says exactly what failed.
 */

import { attestationLeafHash, decodeLeaf, verifyLeafSignature } from '../attest/leaf.ts'
import type { ChainAdapter } from '../chain/chain-adapter.ts'
import { headsPayloadRoot } from '../context/context-roots.ts'
import { bytesEqual, fromBase58, fromHex, toHex } from '../core/bytes.ts'
import { sha256 } from '../core/hash.ts'
import { verifyInclusion } from '../core/merkle.ts'
import { verifyCheckpoint } from '../log/checkpoint.ts'
import { parseProof } from './proof-schema.ts'
import type { Proof } from './proof-types.ts'

/** The read-only part of a chain adapter a verifier needs. */
export type AnchorReader = Pick<
  ChainAdapter,
  'chainId' | 'capabilities' | 'anchorOf' | 'anchorStatus' | 'isNode'
>

/** One named check. `skipped` checks are neither passed nor failed (e.g. no RPC given for a chain). */
export interface VerificationCheck {
  name: string
  ok: boolean
  detail: string
  skipped?: boolean
}

/** The verifier's answer: ok only when every check that ran passed and at least one anchor was verified on chain. */
export interface VerificationResult {
  ok: boolean
  checks: VerificationCheck[]
}

/** Options of {@link verifyProof}. */
export interface VerifyProofOptions {
  /** Chain readers by CAIP-2 id (from `--rpc chainId=url`). */
  readers: ReadonlyMap<string, AnchorReader>
  signal?: AbortSignal
  /** Called as each check completes (progress display). */
  onCheck?: (check: VerificationCheck) => void
}

/**
 * Verifies a proof document.
 *
 * @example
 * const result = await verifyProof(JSON.parse(text), { readers: new Map([[reader.chainId, reader]]) })
 * if (!result.ok) console.error(result.checks.filter((c) => !c.ok && !c.skipped))
 */
export async function verifyProof(input: unknown, options: VerifyProofOptions): Promise<VerificationResult> {
  const checks: VerificationCheck[] = []
  const add = (name: string, ok: boolean, detail: string, skipped = false) => {
    const c: VerificationCheck = skipped ? { name, ok, detail, skipped } : { name, ok, detail }
    checks.push(c)
    options.onCheck?.(c)
    return ok
  }
  const done = (early = false): VerificationResult => {
    const anchored = checks.some((c) => c.name.startsWith('anchor.') && c.ok && !c.skipped)
    if (!early && !anchored) {
      const tried = checks.some((c) => c.name.startsWith('anchor.') && !c.skipped)
      add(
        'anchored',
        false,
        tried
          ? 'no anchor was verified on chain'
          : 'no anchor could be checked: give --rpc for a chain the proof lists',
      )
    }
    return { ok: anchored && checks.every((c) => c.ok || c.skipped), checks }
  }

  let proof: Proof
  try {
    proof = parseProof(input)
    add('schema', true, 'proof v1 document is well-formed')
  } catch (e) {
    add('schema', false, (e as Error).message)
    return done(true)
  }

  // ── the leaf ────────────────────────────────────────────────────────────────────────────────
  let leafBytes: Uint8Array
  try {
    leafBytes = fromHex(proof.leaf.bytes, 224, 'leaf.bytes')
    const f = decodeLeaf(leafBytes)
    const mismatches: string[] = []
    if (f.kind !== proof.leaf.kind) mismatches.push('kind')
    if (!bytesEqual(f.contextId, fromBase58(proof.leaf.contextId, 32, 'leaf.contextId')))
      mismatches.push('contextId')
    if (!bytesEqual(f.payloadRoot, fromHex(proof.leaf.payloadRoot, 32))) mismatches.push('payloadRoot')
    if (!bytesEqual(f.stateRoot, fromHex(proof.leaf.stateRoot, 32))) mismatches.push('stateRoot')
    if (BigInt(f.revision) !== BigInt(proof.leaf.revision)) mismatches.push('revision')
    if (!bytesEqual(f.attester, fromBase58(proof.leaf.attester, 32, 'leaf.attester')))
      mismatches.push('attester')
    if (BigInt(f.issuedAt) !== BigInt(proof.leaf.issuedAt)) mismatches.push('issuedAt')
    if (!bytesEqual(f.signature, fromHex(proof.leaf.signature, 64))) mismatches.push('signature')
    if (
      !add(
        'leaf.fields',
        mismatches.length === 0,
        mismatches.length
          ? `JSON fields differ from the leaf bytes: ${mismatches.join(', ')}`
          : 'JSON fields match the 224 leaf bytes',
      )
    )
      return done(true)
  } catch (e) {
    add('leaf.fields', false, (e as Error).message)
    return done(true)
  }
  if (proof.leaf.heads) {
    try {
      const root = headsPayloadRoot(proof.leaf.heads.map((h) => fromBase58(h, 32, 'head id')))
      add(
        'leaf.heads',
        bytesEqual(root, fromHex(proof.leaf.payloadRoot, 32)),
        'Merkle root of the sorted head ids equals payloadRoot',
      )
    } catch (e) {
      add('leaf.heads', false, (e as Error).message)
    }
  }
  add(
    'leaf.signature',
    verifyLeafSignature(leafBytes),
    `attester ${proof.leaf.attester} signed sha256(leaf[0..160])`,
  )
  const leafHash = attestationLeafHash(leafBytes)
  add('leaf.hash', toHex(leafHash) === proof.leafHash.toLowerCase(), 'sha256(0x00 ‖ leaf) equals leafHash')

  // ── inclusion and checkpoint ────────────────────────────────────────────────────────────────
  const cp = proof.checkpoint
  let rootHash: Uint8Array
  try {
    rootHash = fromHex(cp.rootHash, 32, 'checkpoint.rootHash')
    const path = proof.inclusion.map((h) => fromHex(h, 32, 'inclusion hash'))
    add(
      'inclusion',
      verifyInclusion(leafHash, proof.leafIndex, cp.treeSize, path, rootHash),
      `RFC 6962 path of ${path.length} hashes from leaf ${proof.leafIndex} to the root of tree size ${cp.treeSize}`,
    )
  } catch (e) {
    add('inclusion', false, (e as Error).message)
    return done(true)
  }
  let signerKey: Uint8Array
  try {
    signerKey = fromBase58(cp.signer, 32, 'checkpoint.signer')
    const parsed = verifyCheckpoint(cp.note, { name: cp.origin, publicKey: signerKey })
    const same =
      parsed.origin === cp.origin && parsed.treeSize === cp.treeSize && bytesEqual(parsed.rootHash, rootHash)
    add(
      'checkpoint.signature',
      same,
      same
        ? `signed note by ${cp.signer} for ${cp.origin} @ ${cp.treeSize}`
        : 'signed note body differs from the checkpoint fields',
    )
  } catch (e) {
    add('checkpoint.signature', false, (e as Error).message)
    return done(true)
  }

  // ── anchors, read back from each chain ──────────────────────────────────────────────────────
  const logId = sha256(new TextEncoder().encode(cp.origin))
  for (const a of proof.anchors) {
    const reader = options.readers.get(a.chainId)
    if (!reader) {
      add(`anchor.${a.chainId}`, false, `no RPC given for ${a.chainId}: not checked`, true)
      continue
    }
    try {
      // The status read follows the proof's tx when the chain can (a Stellar reader then reads one
      // transaction instead of the account's history); its anchor is still read from chain state.
      const status = await reader.anchorStatus(rootHash, a.tx, { signal: options.signal })
      const onChain =
        status.state === 'included' || status.state === 'final'
          ? status.anchor
          : await reader.anchorOf(rootHash, { signal: options.signal })
      if (!onChain) {
        add(`anchor.${a.chainId}`, false, `root ${cp.rootHash} is not anchored on ${a.chainId}`)
        continue
      }
      const problems: string[] = []
      if (onChain.treeSize !== cp.treeSize)
        problems.push(`tree size on chain ${onChain.treeSize} ≠ ${cp.treeSize}`)
      if (!bytesEqual(onChain.logId, logId)) problems.push('log id on chain ≠ sha256(origin)')
      if (a.height !== undefined && onChain.height !== a.height)
        problems.push(`height on chain ${onChain.height} ≠ claimed ${a.height}`)
      const final = status.state === 'final'
      if (!final)
        problems.push(
          `not final (${status.state}${'confirmations' in status ? `, ${status.confirmations} confirmations` : ''})`,
        )
      add(
        `anchor.${a.chainId}`,
        problems.length === 0,
        problems.length
          ? problems.join('; ')
          : `anchored at height ${onChain.height}, tree size ${onChain.treeSize}, final${'confirmations' in status ? ` (${status.confirmations} confirmation${status.confirmations === 1 ? '' : 's'})` : ''}`,
      )
      const registered = await reader.isNode(signerKey, { signal: options.signal })
      add(
        `signer.registered.${a.chainId}`,
        registered,
        registered
          ? `checkpoint signer is a registered node on ${a.chainId}`
          : `checkpoint signer ${cp.signer} is not registered on ${a.chainId}`,
      )
    } catch (e) {
      add(`anchor.${a.chainId}`, false, `reading ${a.chainId} failed: ${(e as Error).message}`)
    }
  }
  return done()
}
