import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { IC_REQUEST_AUTH_DELEGATION_DOMAIN_SEPARATOR, requestIdOf } from '@dfinity/agent'
import { Delegation, DelegationChain, Ed25519KeyIdentity } from '@dfinity/identity'
import { Principal } from '@dfinity/principal'
import { canisterSignature } from '../../devnets/icp/canister-signature.ts'
import { randomRootSecret, rootKeyFrom } from '../../devnets/icp/certification.ts'
import { deployAnchorCanister } from '../../devnets/icp/deploy-anchor.ts'
import { type IcpDevnet, startIcpDevnet } from '../../devnets/icp/icp-devnet.ts'
import { readCertifiedData, verifyCanisterSignature } from './ic-certificate.ts'
import { createIcpAdapter } from './icp-adapter.ts'

describe('IC certificates for sign-in', () => {
  let ic: IcpDevnet
  let canisterId: string
  before(async () => {
    ic = await startIcpDevnet({ port: 0 })
    canisterId = await deployAnchorCanister(ic.url, Ed25519KeyIdentity.generate())
  })
  after(async () => {
    await ic.stop()
    rmSync(ic.dataDir, { recursive: true, force: true })
  })

  it("reads a canister's certified data through read_state, verified against the devnet root key", async () => {
    const r = await readCertifiedData(ic.url, canisterId, ic.rootKey)
    assert.deepEqual(r.certifiedData, new Uint8Array(0)) // the anchor canister never sets it
    assert.ok(Math.abs(Number(r.timeNs / 1_000_000n) - Date.now()) < 60_000)
    const other = rootKeyFrom(randomRootSecret()).publicKeyDer
    await assert.rejects(readCertifiedData(ic.url, canisterId, other))
  })

  it('verifies a canister signature against the root key; wrong message, key or certified data fail', async () => {
    const secret = randomRootSecret()
    const root = rootKeyFrom(secret).publicKeyDer
    const cid = Principal.fromText('rdmx6-jaaaa-aaaaa-aaadq-cai')
    const seed = new Uint8Array(randomBytes(32))
    const msg = new Uint8Array(randomBytes(48))
    const { publicKey, signature } = canisterSignature({
      rootSecret: secret,
      canisterId: cid,
      seed,
      message: msg,
    })
    assert.equal(await verifyCanisterSignature(publicKey, msg, signature, root), true)
    assert.equal(await verifyCanisterSignature(publicKey, new Uint8Array(48), signature, root), false)
    assert.equal(
      await verifyCanisterSignature(publicKey, msg, signature, rootKeyFrom(randomRootSecret()).publicKeyDer),
      false,
    )
    const forged = canisterSignature({
      rootSecret: secret,
      canisterId: cid,
      seed,
      message: msg,
      certifiedOverride: new Uint8Array(32),
    })
    assert.equal(await verifyCanisterSignature(forged.publicKey, msg, forged.signature, root), false)
    const otherSeed = canisterSignature({
      rootSecret: secret,
      canisterId: cid,
      seed: new Uint8Array(32),
      message: msg,
    })
    assert.equal(await verifyCanisterSignature(publicKey, msg, otherSeed.signature, root), false)
  })

  const signIn = async (
    account: string,
    message: Uint8Array,
    signature: Uint8Array,
    chain: DelegationChain,
  ) => {
    const reader = await createIcpAdapter({ rpcUrl: ic.url, chainId: 'icp:local', contract: canisterId })
    assert.equal(reader.capabilities.signIn, true)
    return reader.verifySignIn!({ account, message, signature, extra: { delegationChain: chain.toJSON() } })
  }

  it('sign-in: a session key with an Ed25519 delegation chain; wrong account, message or expiry fail', async () => {
    const root = Ed25519KeyIdentity.generate()
    const session = Ed25519KeyIdentity.generate()
    const chain = await DelegationChain.create(root, session.getPublicKey(), new Date(Date.now() + 600_000))
    const msg = new TextEncoder().encode('localhost wants you to sign in with your ICP account')
    const sig = new Uint8Array(await session.sign(msg))
    const account = `icp:local:${root.getPrincipal().toText()}`
    assert.equal(await signIn(account, msg, sig, chain), true)
    assert.equal(await signIn(`icp:local:${session.getPrincipal().toText()}`, msg, sig, chain), false)
    assert.equal(await signIn(account, new Uint8Array(msg.length), sig, chain), false)
    const expired = await DelegationChain.create(root, session.getPublicKey(), new Date(Date.now() - 1000))
    assert.equal(await signIn(account, msg, sig, expired), false)
  })

  it('sign-in: an Internet Identity style chain (canister signature) verifies against the devnet root key', async () => {
    const devnetSecret = new Uint8Array(
      Buffer.from(readFileSync(join(ic.dataDir, 'root-key.hex'), 'utf8').trim(), 'hex'),
    )
    const ii = Principal.fromText('rdmx6-jaaaa-aaaaa-aaadq-cai')
    const seed = new Uint8Array(randomBytes(32))
    const session = Ed25519KeyIdentity.generate()
    const delegation = new Delegation(
      new Uint8Array(session.getPublicKey().toDer()),
      BigInt(Date.now() + 600_000) * 1_000_000n,
    )
    const toSign = new Uint8Array([
      ...IC_REQUEST_AUTH_DELEGATION_DOMAIN_SEPARATOR,
      ...requestIdOf({ pubkey: delegation.pubkey, expiration: delegation.expiration }),
    ])
    const msg = new TextEncoder().encode('sign in')
    const sig = new Uint8Array(await session.sign(msg))
    const make = (secret: Uint8Array) => {
      const cs = canisterSignature({ rootSecret: secret, canisterId: ii, seed, message: toSign })
      const chain = DelegationChain.fromDelegations(
        [{ delegation, signature: cs.signature as never }],
        cs.publicKey as never,
      )
      const principal = Principal.selfAuthenticating(new Uint8Array(cs.publicKey)).toText()
      return { chain, account: `icp:local:${principal}` }
    }
    const good = make(devnetSecret)
    assert.equal(await signIn(good.account, msg, sig, good.chain), true)
    const forged = make(randomRootSecret()) // certified under another root key
    assert.equal(await signIn(forged.account, msg, sig, forged.chain), false)
  })
})
