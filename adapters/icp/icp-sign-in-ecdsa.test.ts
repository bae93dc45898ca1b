import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { SignIdentity } from '@dfinity/agent'
import { DelegationChain, ECDSAKeyIdentity, Ed25519KeyIdentity } from '@dfinity/identity'
import { Principal } from '@dfinity/principal'
import { p256 } from '@noble/curves/p256'
import type { SignInProof } from '../../src/chain/sign-in-scheme.ts'
import {
  signInChallenge as challengeFor,
  signInContext as ctx,
  named,
} from '../../test/helpers/sign-in-fixtures.ts'
import { icpSignInScheme as scheme } from './icp-sign-in-scheme.ts'

/**
 * What `@dfinity/auth-client` does by default: an `ECDSAKeyIdentity` (P-256, WebCrypto) session key,
 * delegated to by the root, signs the message. WebCrypto's ECDSA signature is the raw 64-byte
 * `r ‖ s` (IEEE P1363), as the IC expects, and its `s` is high about half the time.
 * (`@dfinity/identity-secp256k1` is not installed, so secp256k1 identities are not exercised here.)
 */
async function signInWith(root: SignIdentity, session: SignIdentity, signer: SignIdentity = session) {
  const rootDer = new Uint8Array(root.getPublicKey().toDer())
  const account = `icp:local:${Principal.selfAuthenticating(rootDer).toText()}`
  const c = challengeFor(account)
  const rendered = await scheme.render(c, ctx())
  const chain = await DelegationChain.create(root, session.getPublicKey(), new Date(Date.now() + 600_000))
  const signature = new Uint8Array(await signer.sign(new TextEncoder().encode(rendered.message)))
  const proof = {
    message: rendered.message,
    signature: Buffer.from(signature).toString('base64'),
    extra: { delegationChain: chain.toJSON() },
  } satisfies SignInProof
  return { account, c, rendered, proof, signature }
}

/** The same P-256 signature with `s` replaced by `n − s` (the other one of the pair that verifies). */
function flipS(sig: Uint8Array): string {
  const { r, s } = p256.Signature.fromCompact(sig)
  return Buffer.from(new p256.Signature(r, p256.CURVE.n - s).toCompactRawBytes()).toString('hex')
}

describe('icp sign-in with ECDSA P-256 keys (offline)', () => {
  it('an Ed25519 root delegating to an ECDSAKeyIdentity session key (auth-client default) signs in', async () => {
    const session = await ECDSAKeyIdentity.generate()
    assert.equal(session.getPublicKey().toDer().byteLength, 91) // SPKI of an uncompressed P-256 point
    const { account, c, rendered, proof, signature } = await signInWith(
      Ed25519KeyIdentity.generate(),
      session,
    )
    assert.equal(signature.length, 64) // raw r ‖ s, not ASN.1 DER
    const who = await scheme.verify(c, rendered, proof, ctx())
    assert.equal(who.account, account)
    assert.equal(who.method, 'delegation')
    // High or low s: both halves of the pair verify, as WebCrypto signs either.
    const other = { ...proof, signature: flipS(signature) }
    assert.equal((await scheme.verify(c, rendered, other, ctx())).account, account)
  })

  it('an ECDSA P-256 root (delegating to an Ed25519 or a P-256 session key) signs in', async () => {
    const root = await ECDSAKeyIdentity.generate()
    for (const session of [Ed25519KeyIdentity.generate(), await ECDSAKeyIdentity.generate()]) {
      const { account, c, rendered, proof } = await signInWith(root, session)
      const who = await scheme.verify(c, rendered, proof, ctx())
      assert.equal(who.account, account)
      assert.equal(who.publicKey, Buffer.from(root.getPublicKey().toDer()).toString('hex'))
    }
  })

  it('a P-256 session key the chain does not lead to is refused, with either root', async () => {
    for (const root of [Ed25519KeyIdentity.generate(), await ECDSAKeyIdentity.generate()]) {
      const session = await ECDSAKeyIdentity.generate()
      const { c, rendered, proof } = await signInWith(root, session, await ECDSAKeyIdentity.generate())
      await assert.rejects(scheme.verify(c, rendered, proof, ctx()), named('WalletSignatureInvalid'))
    }
  })

  it('a P-256 delegation signed by another root is refused', async () => {
    const root = await ECDSAKeyIdentity.generate()
    const session = await ECDSAKeyIdentity.generate()
    const { c, rendered, proof } = await signInWith(root, session)
    const forged = await signInWith(await ECDSAKeyIdentity.generate(), session)
    const chain = forged.proof.extra.delegationChain
    // The victim's root key with a delegation the attacker's root signed.
    const mixed = { ...chain, publicKey: proof.extra.delegationChain.publicKey }
    await assert.rejects(
      scheme.verify(
        c,
        rendered,
        { ...forged.proof, message: rendered.message, extra: { delegationChain: mixed } },
        ctx(),
      ),
      named('WalletSignatureInvalid'),
    )
  })

  it('a P-256 signature in ASN.1 DER form (not the raw r ‖ s the IC uses) is a clean named error', async () => {
    const session = await ECDSAKeyIdentity.generate()
    const { c, rendered, proof, signature } = await signInWith(Ed25519KeyIdentity.generate(), session)
    const der = Buffer.from(p256.Signature.fromCompact(signature).toDERRawBytes()).toString('hex')
    await assert.rejects(
      scheme.verify(c, rendered, { ...proof, signature: der }, ctx()),
      named('InvalidInput'),
    )
  })
})
