import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { toBase58 } from '../core/bytes.ts'
import { loadConfig } from '../core/config.ts'
import { generateKeyPair } from '../core/ed25519.ts'
import type { RateLimited } from '../core/errors.ts'
import { openStore, type Store, section } from '../store/store.ts'
import { AuthService, CHALLENGES_PER_CLIENT } from './auth-service.ts'
import { AuthStore } from './auth-store.ts'
import { CLIENT_KEY_CHAIN, clientKeyAccount } from './client-key-scheme.ts'
import { testSign as sig, testWalletScheme, testWallet as wallet } from './test-wallet-scheme.ts'

async function setup(t: { after(fn: () => Promise<void>): void }, configAuth: Record<string, unknown> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'mero-auth-'))
  let store: Store = await openStore(join(dir, 'db'))
  const clock = { now: 1_800_000_000_000 }
  const nodeKey = generateKeyPair()
  let config = loadConfig({ dataDir: dir, auth: { domain: 'node.test:2528', ...configAuth } })
  const make = async () =>
    new AuthService({
      config,
      store: await AuthStore.open(section(store, 'auth')),
      nodeKey,
      schemes: new Map([['tst', async () => testWalletScheme]]),
      adapters: new Map(),
      origin: () => ({ domain: 'unused', uri: 'unused' }),
      now: () => clock.now,
    })
  const ctx = { service: await make(), clock }
  const restart = async (auth?: Record<string, unknown>) => {
    if (auth) config = loadConfig({ dataDir: dir, auth: { domain: 'node.test:2528', ...auth } })
    await store.close()
    store = await openStore(join(dir, 'db'))
    ctx.service = await make()
  }
  t.after(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })
  return { ctx, restart }
}

async function signedChallenge(
  service: AuthService,
  w: ReturnType<typeof wallet>,
  extra: { notBefore?: number } = {},
) {
  const { rendered } = await service.challenge({ chainId: 'tst:net', account: w.account, ...extra })
  return { chainId: 'tst:net', message: rendered.message, signature: sig(w.key, rendered.message) }
}

test('a wallet signs in once per challenge; replays, unknown nonces and wrong keys fail by name', async (t) => {
  const { ctx } = await setup(t)
  const w = wallet()
  const body = await signedChallenge(ctx.service, w)
  const r = await ctx.service.signIn(body)
  assert.equal(r.account, w.account)
  assert.deepEqual(r.permissions, [])
  const claims = await ctx.service.tokens.verifyAccess(r.accessToken)
  assert.deepEqual(claims.subject, { kind: 'root', account: w.account })
  await assert.rejects(ctx.service.signIn(body), { name: 'NonceReused' })
  const forged = body.message.replace(/Nonce: \w+/, 'Nonce: abcdefgh12345678')
  await assert.rejects(ctx.service.signIn({ ...body, message: forged }), { name: 'ChallengeNotFound' })
  const other = await signedChallenge(ctx.service, w)
  await assert.rejects(ctx.service.signIn({ ...other, signature: sig(generateKeyPair(), other.message) }), {
    name: 'WalletSignatureInvalid',
  })
  // A failed presentation consumed the nonce too.
  await assert.rejects(ctx.service.signIn(other), { name: 'NonceReused' })
})

test('time, domain, URI, chain and account are checked against the challenge', async (t) => {
  const { ctx } = await setup(t, { challengeTtlMs: 60_000 })
  const w = wallet()
  const expired = await signedChallenge(ctx.service, w)
  ctx.clock.now += 60_001
  await assert.rejects(ctx.service.signIn(expired), { name: 'ChallengeExpired' })
  const early = await signedChallenge(ctx.service, w, { notBefore: ctx.clock.now + 30_000 })
  await assert.rejects(ctx.service.signIn(early), { name: 'ChallengeNotYetValid' })
  const tamper = async (from: RegExp, to: string) => {
    const b = await signedChallenge(ctx.service, w)
    const message = b.message.replace(from, to)
    return { ...b, message, signature: sig(w.key, message) }
  }
  await assert.rejects(ctx.service.signIn(await tamper(/^node\.test:2528/, 'evil.test')), {
    name: 'DomainMismatch',
  })
  await assert.rejects(ctx.service.signIn(await tamper(/URI: .*/, 'URI: https://evil.test')), {
    name: 'UriMismatch',
  })
  await assert.rejects(ctx.service.signIn(await tamper(/Chain ID: net/, 'Chain ID: other')), {
    name: 'ChainMismatch',
  })
  await assert.rejects(ctx.service.signIn(await tamper(/Sign in to this mero node\./, 'Sign in, and pay.')), {
    name: 'MessageMismatch',
  })
  const someoneElse = wallet()
  const b = await signedChallenge(ctx.service, w)
  await assert.rejects(ctx.service.signIn({ ...b, chainId: 'tst:other' }), { name: 'ChainMismatch' })
  const swapped = await signedChallenge(ctx.service, w)
  const asOther = swapped.message.replace(w.account.split(':')[2]!, someoneElse.account.split(':')[2]!)
  await assert.rejects(
    ctx.service.signIn({ ...swapped, message: asOther, signature: sig(someoneElse.key, asOther) }),
    {
      name: 'MessageMismatch',
    },
  )
  await assert.rejects(ctx.service.challenge({ chainId: 'zzz:net', account: 'zzz:net:x' }), {
    name: 'UnsupportedChain',
  })
  await assert.rejects(ctx.service.signIn({ chainId: 'tst:net', message: 'hello' }), {
    name: 'InvalidSignInMessage',
  })
})

test('refresh rotates; a reused refresh token revokes the whole family at once', async (t) => {
  const { ctx } = await setup(t)
  const w = wallet()
  const first = await ctx.service.signIn(await signedChallenge(ctx.service, w))
  const second = await ctx.service.refresh(first.refreshToken)
  assert.notEqual(second.refreshToken, first.refreshToken)
  await ctx.service.tokens.verifyAccess(second.accessToken)
  await assert.rejects(ctx.service.refresh(first.refreshToken), { name: 'RefreshTokenReused' })
  await assert.rejects(ctx.service.refresh(second.refreshToken), { name: 'TokenRevoked' })
  await assert.rejects(ctx.service.tokens.verifyAccess(second.accessToken), { name: 'TokenRevoked' })
  await assert.rejects(ctx.service.tokens.verifyAccess(first.accessToken), { name: 'TokenRevoked' })
  // Another sign-in of the same wallet is a separate family, unaffected.
  const other = await ctx.service.signIn(await signedChallenge(ctx.service, w))
  await ctx.service.tokens.verifyAccess(other.accessToken)
  // Access tokens expire after accessTokenSec; forged ones never verify.
  // One character in the middle of the signature changed (not the last ones: base64url ignores the
  // padding bits of the last character, so changing it may leave the same signature bytes).
  const dot = other.accessToken.lastIndexOf('.')
  const at = dot + 1 + Math.floor((other.accessToken.length - dot - 1) / 2)
  const forgedAccess = `${other.accessToken.slice(0, at)}${other.accessToken[at] === 'A' ? 'B' : 'A'}${other.accessToken.slice(at + 1)}`
  assert.notEqual(forgedAccess, other.accessToken)
  await assert.rejects(ctx.service.tokens.verifyAccess(forgedAccess), {
    name: 'TokenInvalid',
  })
  await assert.rejects(ctx.service.tokens.verifyAccess(other.refreshToken), { name: 'TokenInvalid' })
  ctx.clock.now += 3_601_000
  await assert.rejects(ctx.service.tokens.verifyAccess(other.accessToken), { name: 'TokenInvalid' })
})

test('client keys: created within the root, signed in with Ed25519, revoked immediately with their root', async (t) => {
  const w = wallet()
  const { ctx } = await setup(t, { signInPermissions: ['context:create'] })
  const root = await ctx.service.signIn(await signedChallenge(ctx.service, w))
  await ctx.service.keys.grantRoot(w.account, 'context[ctx1]')
  const device = generateKeyPair()
  const keyId = toBase58(device.publicKey)
  await assert.rejects(
    ctx.service.keys.createClientKey(w.account, { publicKey: keyId, name: 'phone', permissions: ['admin'] }),
    {
      name: 'Forbidden',
    },
  )
  await ctx.service.keys.createClientKey(w.account, {
    publicKey: keyId,
    name: 'phone',
    permissions: ['context:execute[ctx1,*,get]'],
  })
  const { rendered } = await ctx.service.challenge({
    chainId: CLIENT_KEY_CHAIN,
    account: clientKeyAccount(keyId),
  })
  const client = await ctx.service.signIn({
    chainId: CLIENT_KEY_CHAIN,
    message: rendered.message,
    signature: sig(device, rendered.message),
  })
  const claims = await ctx.service.tokens.verifyAccess(client.accessToken)
  const principal = ctx.service.keys.principalOf(claims.subject, claims.familyId, claims.expiresAt)
  assert.ok(ctx.service.keys.allows(principal, 'context:execute[ctx1,alice,get]'))
  assert.ok(!ctx.service.keys.allows(principal, 'context:execute[ctx1,alice,set]'))
  // Narrowing the root narrows its client keys on the next request.
  await ctx.service.keys.setRootPermissions(w.account, ['context:create'])
  assert.ok(!ctx.service.keys.allows(principal, 'context:execute[ctx1,alice,get]'))
  await ctx.service.keys.revokeClientKey(keyId, w.account)
  await assert.rejects(ctx.service.tokens.verifyAccess(client.accessToken), { name: 'TokenRevoked' })
  await ctx.service.keys.revokeRootKey(w.account)
  await assert.rejects(ctx.service.tokens.verifyAccess(root.accessToken), { name: 'TokenRevoked' })
  await assert.rejects(ctx.service.signIn(await signedChallenge(ctx.service, w)), { name: 'Forbidden' })
})

test('configured admin wallets get admin; state survives a restart (used nonces stay used)', async (t) => {
  const w = wallet()
  const { ctx, restart } = await setup(t, { admins: [w.account] })
  const body = await signedChallenge(ctx.service, w)
  const r = await ctx.service.signIn(body)
  assert.deepEqual(r.permissions, ['admin'])
  const pending = await signedChallenge(ctx.service, w)
  await restart()
  await assert.rejects(ctx.service.signIn(body), { name: 'NonceReused' })
  await ctx.service.tokens.verifyAccess(r.accessToken)
  const again = await ctx.service.signIn(pending)
  assert.equal(again.account, w.account)
  await ctx.service.refresh(r.refreshToken)
  // Taking the wallet off auth.admins demotes it at once, sessions included.
  await restart({ admins: [] })
  const demoted = await ctx.service.signIn(await signedChallenge(ctx.service, w))
  assert.deepEqual(demoted.permissions, [])
  const claims = await ctx.service.tokens.verifyAccess(demoted.accessToken)
  assert.ok(
    !ctx.service.keys.allows(
      ctx.service.keys.principalOf(claims.subject, claims.familyId, claims.expiresAt),
      'keys:list',
    ),
  )
})

test('a binding challenge cannot start a session; refresh extends the session; idle wallets are forgotten', async (t) => {
  const { ctx } = await setup(t)
  const w = wallet()
  const { rendered } = await ctx.service.challenge({
    chainId: 'tst:net',
    account: w.account,
    resources: [
      `mero:bind:${toBase58(generateKeyPair().publicKey)}:${toBase58(generateKeyPair().publicKey)}`,
    ],
  })
  assert.match(rendered.message, /\nBind this wallet to member \w+ of mero context \w+\.\n/)
  await assert.rejects(
    ctx.service.signIn({
      chainId: 'tst:net',
      message: rendered.message,
      signature: sig(w.key, rendered.message),
    }),
    {
      name: 'MessageMismatch',
    },
  )
  let pair = await ctx.service.signIn(await signedChallenge(ctx.service, w))
  // 29 days later a refresh extends the session by another 30 days.
  ctx.clock.now += 29 * 86_400_000
  pair = { ...pair, ...(await ctx.service.refresh(pair.refreshToken)) }
  ctx.clock.now += 20 * 86_400_000
  await ctx.service.challenge({ chainId: 'tst:net', account: w.account }) // prunes
  pair = { ...pair, ...(await ctx.service.refresh(pair.refreshToken)) }
  assert.equal(ctx.service.keys.listRootKeys().length, 1)
  // Once its last session expired, a wallet with no permissions and no client keys is forgotten.
  ctx.clock.now += 31 * 86_400_000
  await ctx.service.challenge({ chainId: 'tst:net', account: w.account })
  assert.equal(ctx.service.keys.listRootKeys().length, 0)
})

test('one client cannot hold more than its share of challenges', async (t) => {
  const { ctx } = await setup(t)
  const w = wallet()
  for (let i = 0; i < CHALLENGES_PER_CLIENT; i++)
    await ctx.service.challenge({ chainId: 'tst:net', account: w.account, client: '10.0.0.1' })
  await assert.rejects(
    ctx.service.challenge({ chainId: 'tst:net', account: w.account, client: '10.0.0.1' }),
    (e: RateLimited) => e.name === 'RateLimited' && Number(e.details.retryAfterMs) > 0,
  )
  await ctx.service.challenge({ chainId: 'tst:net', account: w.account, client: '10.0.0.2' })
})

test('outstanding challenges are bounded', async (t) => {
  const { ctx } = await setup(t, { maxChallenges: 3, challengeTtlMs: 10_000 })
  const w = wallet()
  for (let i = 0; i < 3; i++) await ctx.service.challenge({ chainId: 'tst:net', account: w.account })
  await assert.rejects(ctx.service.challenge({ chainId: 'tst:net', account: w.account }), {
    name: 'TooManyChallenges',
  })
  ctx.clock.now += 20_001 // expired + one TTL of grace: pruned
  await ctx.service.challenge({ chainId: 'tst:net', account: w.account })
})

test('resources must be RFC 3986 URIs on every chain, before any scheme renders them', async (t) => {
  const { ctx } = await setup(t)
  const w = wallet()
  for (const bad of ['a:%zz', 'a:<>"{}', 'http://[zz]/', 'no scheme', ''])
    await assert.rejects(
      ctx.service.challenge({ chainId: 'tst:net', account: w.account, resources: ['mero:ok', bad] }),
      { name: 'InvalidInput' },
      bad,
    )
  const { challenge } = await ctx.service.challenge({
    chainId: 'tst:net',
    account: w.account,
    resources: ['mero:identity:abc', 'https://example.com/terms?x=1#y'],
  })
  assert.deepEqual(challenge.resources, ['mero:identity:abc', 'https://example.com/terms?x=1#y'])
})
