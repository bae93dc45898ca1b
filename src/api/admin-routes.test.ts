import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { toBase58 } from '../core/bytes.ts'
import { buildApi } from './build-api.ts'
import { FAKE_ADMIN_TOKEN, fakeApiDeps } from './fake-api-deps.ts'

const auth = { authorization: `Bearer ${FAKE_ADMIN_TOKEN}` }

async function setup(t: { after: (fn: () => Promise<void>) => void }) {
  const fake = fakeApiDeps()
  const app = await buildApi(fake.deps)
  t.after(() => app.close())
  const post = (url: string, payload?: object) =>
    app.inject({ method: 'POST', url, headers: auth, ...(payload ? { payload } : {}) })
  const get = (url: string) => app.inject({ method: 'GET', url, headers: auth })
  return { app, fake, post, get }
}

test('identities and contexts: create, list, get', async (t) => {
  const { post, get } = await setup(t)
  const id = await post('/admin-api/identities')
  assert.equal(id.statusCode, 200)
  assert.match(id.json().data.publicKey, /^[1-9A-HJ-NP-Za-km-z]{32,44}$/)

  const created = await post('/admin-api/contexts', { application: 'notes' })
  assert.equal(created.statusCode, 200)
  const { contextId, memberPublicKey } = created.json().data
  assert.match(contextId, /^[1-9A-HJ-NP-Za-km-z]{32,44}$/)

  const list = await get('/admin-api/contexts')
  assert.equal(list.statusCode, 200)
  assert.deepEqual(
    list.json().data.contexts.map((c: { contextId: string }) => c.contextId),
    [contextId],
  )

  const one = await get(`/admin-api/contexts/${contextId}`)
  assert.equal(one.statusCode, 200)
  const view = one.json().data
  assert.equal(view.contextId, contextId)
  assert.equal(view.application, 'notes')
  assert.deepEqual(view.members, [
    { publicKey: memberPublicKey, capabilities: ['ManageMembers', 'ManageApplication', 'Attest'] },
  ])
  assert.match(view.stateRoot, /^0x[0-9a-f]{64}$/)
  assert.equal(view.revision, 0)
  assert.equal(view.membershipHeads.length, 1)
  assert.deepEqual(view.heads, [])
  assert.equal(typeof view.deltaCount, 'number')

  // An absent body is fine when every field is optional.
  const bare = await post('/admin-api/contexts')
  assert.equal(bare.statusCode, 200)
  assert.equal((await get(`/admin-api/contexts/${bare.json().data.contextId}`)).json().data.application, 'kv')
})

test('members: add, then remove with DELETE …/members/:member?signer=', async (t) => {
  const { app, post } = await setup(t)
  const { contextId, memberPublicKey: signer } = (await post('/admin-api/contexts')).json().data
  const alice = toBase58(randomBytes(32))
  const bob = toBase58(randomBytes(32))
  const added = await post(`/admin-api/contexts/${contextId}/members`, { signer, members: [alice, bob] })
  assert.equal(added.statusCode, 200)
  const keys = added.json().data.members.map((m: { publicKey: string }) => m.publicKey)
  assert.deepEqual(keys.sort(), [signer, alice, bob].sort())

  const removed = await app.inject({
    method: 'DELETE',
    url: `/admin-api/contexts/${contextId}/members/${alice}?signer=${signer}`,
    headers: auth,
  })
  assert.equal(removed.statusCode, 200)
  assert.deepEqual(
    removed
      .json()
      .data.members.map((m: { publicKey: string }) => m.publicKey)
      .sort(),
    [signer, bob].sort(),
  )
  const missingSigner = await app.inject({
    method: 'DELETE',
    url: `/admin-api/contexts/${contextId}/members/${bob}`,
    headers: auth,
  })
  assert.equal(missingSigner.statusCode, 400)
  assert.equal(missingSigner.json().error.name, 'InvalidInput')
})

test('capabilities: grant and revoke; the service errors keep their names', async (t) => {
  const { post } = await setup(t)
  const { contextId, memberPublicKey: signer } = (await post('/admin-api/contexts')).json().data
  const bob = (await post('/admin-api/identities')).json().data.publicKey
  await post(`/admin-api/contexts/${contextId}/members`, { signer, members: [bob] })

  const granted = await post(`/admin-api/contexts/${contextId}/capabilities/grant`, {
    signer,
    member: bob,
    capability: 'Attest',
  })
  assert.equal(granted.statusCode, 200)
  const bobView = () => granted.json().data.members.find((m: { publicKey: string }) => m.publicKey === bob)
  assert.deepEqual(bobView().capabilities, ['Attest'])

  // bob lacks ManageMembers: the service's MissingCapability becomes 403.
  const denied = await post(`/admin-api/contexts/${contextId}/capabilities/grant`, {
    signer: bob,
    member: bob,
    capability: 'ManageMembers',
  })
  assert.equal(denied.statusCode, 403)
  assert.equal(denied.json().error.name, 'MissingCapability')

  const revoked = await post(`/admin-api/contexts/${contextId}/capabilities/revoke`, {
    signer,
    member: bob,
    capability: 'Attest',
  })
  assert.equal(revoked.statusCode, 200)
  assert.deepEqual(
    revoked.json().data.members.find((m: { publicKey: string }) => m.publicKey === bob).capabilities,
    [],
  )

  const badCap = await post(`/admin-api/contexts/${contextId}/capabilities/grant`, {
    signer,
    member: bob,
    capability: 'Root',
  })
  assert.equal(badCap.statusCode, 400)
  assert.equal(badCap.json().error.name, 'InvalidInput')
})

test('unknown context → 404 UnknownContext; bad base58 anywhere → 400 InvalidEncoding', async (t) => {
  const { post, get } = await setup(t)
  const unknown = await get(`/admin-api/contexts/${toBase58(randomBytes(32))}`)
  assert.equal(unknown.statusCode, 404)
  assert.equal(unknown.json().error.name, 'UnknownContext')

  const { contextId, memberPublicKey: signer } = (await post('/admin-api/contexts')).json().data
  const cases: [string, Promise<{ statusCode: number; json(): { error: { name: string } } }>][] = [
    ['path, bad alphabet', get('/admin-api/contexts/0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl')],
    ['path, valid alphabet but 33 bytes', get(`/admin-api/contexts/${toBase58(randomBytes(33))}`)],
    ['path, too short', get(`/admin-api/contexts/${toBase58(randomBytes(8))}`)],
    ['body member', post(`/admin-api/contexts/${contextId}/members`, { signer, members: ['not base58!'] })],
    [
      'body signer, wrong length',
      post(`/admin-api/contexts/${contextId}/members`, {
        signer: toBase58(randomBytes(31)),
        members: [signer],
      }),
    ],
  ]
  for (const [what, pending] of cases) {
    const res = await pending
    assert.equal(res.statusCode, 400, what)
    assert.equal(res.json().error.name, 'InvalidEncoding', what)
  }
  // A signer the node does not hold.
  const stranger = await post(`/admin-api/contexts/${contextId}/members`, {
    signer: toBase58(randomBytes(32)),
    members: [signer],
  })
  assert.equal(stranger.statusCode, 404)
  assert.equal(stranger.json().error.name, 'UnknownIdentity')
  assert.equal((await get('/admin-api/contexts')).statusCode, 200)
})
