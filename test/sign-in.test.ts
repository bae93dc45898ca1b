/**
 * Sign-in over HTTP for every chain (DESIGN §8), with the SDK each chain's users sign with (through the
 * test wallets of `test/helpers/*-test-wallet.ts`) and, where the check needs chain state, the chain's
 * devnet and adapter. For each chain: a valid sign-in, then one test each for replay, wrong key,
 * tampered message, expired, not-yet-valid and foreign-domain challenges, each failing by name.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { eip155SignInScheme } from '../adapters/ethereum/ethereum-sign-in.ts'
import { icpSignInScheme } from '../adapters/icp/icp-sign-in-scheme.ts'
import { nearSignInScheme } from '../adapters/near/near-sign-in.ts'
import { starknetSignInScheme } from '../adapters/starknet/starknet-sign-in-scheme.ts'
import { stellarSignInScheme } from '../adapters/stellar/stellar-sign-in.ts'
import { buildApi } from '../src/api/build-api.ts'
import { FAKE_ADMIN_TOKEN, fakeApiDeps } from '../src/api/fake-api-deps.ts'
import { AuthService } from '../src/auth/auth-service.ts'
import { AuthStore } from '../src/auth/auth-store.ts'
import type { ChainAdapter } from '../src/chain/chain-adapter.ts'
import type { RenderedChallenge, SignInProof, SignInScheme } from '../src/chain/sign-in-scheme.ts'
import { generateKeyPair } from '../src/core/ed25519.ts'
import { openStore, section } from '../src/store/store.ts'
import { defer } from './helpers/defer.ts'
import { createEip155TestWallet } from './helpers/eip155-test-wallet.ts'
import { createIcpTestWallet } from './helpers/icp-test-wallet.ts'
import { createNearTestWallet, startNearSignInChain } from './helpers/near-test-wallet.ts'
import { createStarknetTestWallet, startStarknetSignInChain } from './helpers/starknet-test-wallet.ts'
import { createStellarTestWallet, startStellarSignInChain } from './helpers/stellar-test-wallet.ts'

interface Wallet {
  readonly chainId: string
  readonly account: string
  sign(rendered: RenderedChallenge): Promise<SignInProof>
  signWithWrongKey(rendered: RenderedChallenge): Promise<SignInProof>
}

interface ChainCase {
  readonly name: string
  readonly scheme: SignInScheme
  /** Starts what the chain needs; returns the wallet, the adapter (if any) and a stop. */
  setup(): Promise<{ wallet: Wallet; adapter?: ChainAdapter; stop(): Promise<void> }>
  /** Expected `method` of a valid sign-in. */
  readonly method: string
  readonly format?: string
}

const none = async () => {}
/** A setup that starts a devnet sign-in chain (`start`) and makes the wallet on it. */
const onDevnet =
  <C extends { adapter: ChainAdapter; stop(): Promise<void> }>(
    start: () => Promise<C>,
    walletOn: (chain: C) => Wallet | Promise<Wallet>,
  ) =>
  async () => {
    const chain = await start()
    try {
      return { wallet: await walletOn(chain), adapter: chain.adapter, stop: chain.stop }
    } catch (e) {
      await chain.stop() // a devnet left running would keep the test file alive
      throw e
    }
  }
const CASES: ChainCase[] = [
  {
    name: 'eip155 (EOA, ethers Wallet)',
    scheme: eip155SignInScheme,
    method: 'eoa',
    setup: async () => ({ wallet: createEip155TestWallet(), stop: none }),
  },
  {
    name: 'near (NEP-413, near-api-js KeyPair, FullAccess key on the devnet)',
    scheme: nearSignInScheme,
    method: 'nep413',
    setup: onDevnet(startNearSignInChain, (chain) =>
      createNearTestWallet(chain.rpcUrl, { chainId: chain.chainId }),
    ),
  },
  {
    name: 'stellar (SEP-53, stellar-sdk Keypair, signers via Horizon)',
    scheme: stellarSignInScheme,
    method: 'sep53',
    setup: onDevnet(startStellarSignInChain, (chain) =>
      createStellarTestWallet(chain.rpcUrl, { chainId: chain.chainId }),
    ),
  },
  {
    name: 'stellar (SEP-10 challenge transaction)',
    scheme: stellarSignInScheme,
    method: 'sep10',
    format: 'sep10',
    setup: onDevnet(startStellarSignInChain, (chain) =>
      createStellarTestWallet(chain.rpcUrl, { chainId: chain.chainId }),
    ),
  },
  {
    name: 'starknet (SNIP-12, starknet.js Account.signMessage, is_valid_signature on the devnet)',
    scheme: starknetSignInScheme,
    method: 'snip12',
    setup: onDevnet(startStarknetSignInChain, (chain) =>
      createStarknetTestWallet({ chainId: chain.chainId, deployed: chain.accounts[1]! }),
    ),
  },
  {
    name: 'icp (@dfinity/identity delegation chain)',
    scheme: icpSignInScheme,
    method: 'delegation',
    setup: async () => ({ wallet: createIcpTestWallet(), stop: none }),
  },
]

async function harness(c: ChainCase, t: { after(fn: () => Promise<void>): void }) {
  const dir = await mkdtemp(join(tmpdir(), 'mero-sign-in-'))
  defer(t, () => rm(dir, { recursive: true, force: true }))
  const store = await openStore(join(dir, 'db'))
  defer(t, () => store.close())
  const chain = await c.setup()
  defer(t, () => chain.stop())
  const clock = { now: Date.now() }
  const fake = fakeApiDeps({ auth: { domain: 'node.test:2528', challengeTtlMs: 120_000 } })
  const auth = new AuthService({
    config: fake.deps.config,
    store: await AuthStore.open(section(store, 'auth')),
    nodeKey: generateKeyPair(),
    schemes: new Map([[c.scheme.namespace, async () => c.scheme]]),
    adapters: new Map(chain.adapter ? [[chain.adapter.chainId, chain.adapter]] : []),
    origin: () => ({ domain: 'unused', uri: 'unused' }),
    now: () => clock.now,
  })
  const app = await buildApi({ ...fake.deps, auth })
  defer(t, () => app.close())
  const { wallet } = chain
  const challenge = async (extra: { notBefore?: number } = {}) => {
    const r = await app.inject({
      method: 'POST',
      url: '/auth/challenge',
      payload: {
        chainId: wallet.chainId,
        account: wallet.account,
        ...(c.format ? { format: c.format } : {}),
        ...extra,
      },
    })
    assert.equal(r.statusCode, 200, r.body)
    const data = r.json().data
    return { message: data.message, ...(data.extra ? { extra: data.extra } : {}) } as RenderedChallenge
  }
  const token = (proof: SignInProof) =>
    app.inject({ method: 'POST', url: '/auth/token', payload: { chainId: wallet.chainId, ...proof } })
  const expectError = async (proof: SignInProof, status: number, name: string) => {
    const r = await token(proof)
    assert.equal(r.statusCode, status, r.body)
    assert.equal(r.json().error.name, name, r.body)
  }
  return { app, wallet, clock, challenge, token, expectError }
}

for (const c of CASES) {
  test(`sign-in ${c.name}`, async (t) => {
    const h = await harness(c, t)
    const { wallet } = h

    await t.test('valid: tokens for the wallet account', async () => {
      const r = await h.token(await wallet.sign(await h.challenge()))
      assert.equal(r.statusCode, 200, r.body)
      assert.equal(r.json().data.account, wallet.account)
      assert.equal(r.json().data.method, c.method)
    })
    if (c.scheme.namespace === 'eip155')
      await t.test('the operator finds the root key by any case of the address', async () => {
        const lower = wallet.account.toLowerCase()
        assert.notEqual(lower, wallet.account, 'the recorded account is EIP-55 mixed case')
        const r = await h.app.inject({
          method: 'PUT',
          url: `/admin-api/root-keys/${encodeURIComponent(lower)}/permissions`,
          headers: { authorization: `Bearer ${FAKE_ADMIN_TOKEN}` },
          payload: { permissions: ['proofs'] },
        })
        assert.equal(r.statusCode, 200, r.body)
        assert.equal(r.json().data.account, wallet.account)
      })
    await t.test('replay: NonceReused', async () => {
      const proof = await wallet.sign(await h.challenge())
      assert.equal((await h.token(proof)).statusCode, 200)
      await h.expectError(proof, 401, 'NonceReused')
    })
    await t.test('wrong key: WalletSignatureInvalid', async () => {
      await h.expectError(await wallet.signWithWrongKey(await h.challenge()), 401, 'WalletSignatureInvalid')
    })
    await t.test('tampered message: refused', async () => {
      const rendered = await h.challenge()
      const proof = await wallet.sign(rendered)
      if (c.format === 'sep10') {
        // The envelope carries the signatures: a changed transaction no longer is the one issued.
        const r = await h.token({ ...proof, message: `${proof.message.slice(0, -8)}AAAAAAA=` })
        assert.equal(r.statusCode >= 400 && r.statusCode < 500, true, r.body)
        return
      }
      const message = proof.message.replace('Sign in to this mero node.', 'Sign in to this mero node!')
      assert.notEqual(message, proof.message)
      await h.expectError({ ...proof, message }, 401, 'MessageMismatch')
    })
    await t.test('expired: ChallengeExpired', async () => {
      const proof = await wallet.sign(await h.challenge())
      h.clock.now += 121_000
      await h.expectError(proof, 401, 'ChallengeExpired')
      h.clock.now = Date.now()
    })
    await t.test('not yet valid: ChallengeNotYetValid', async () => {
      const proof = await wallet.sign(await h.challenge({ notBefore: h.clock.now + 60_000 }))
      await h.expectError(proof, 401, 'ChallengeNotYetValid')
    })
    if (c.format !== 'sep10')
      await t.test('another domain: DomainMismatch', async () => {
        const rendered = await h.challenge()
        const moved = JSON.parse(
          JSON.stringify(rendered).replaceAll('node.test:2528', 'evil.test'),
        ) as RenderedChallenge
        await h.expectError(await wallet.sign(moved), 401, 'DomainMismatch')
      })
  })
}
