import assert from 'node:assert/strict'
import { test } from 'node:test'
import { covers, normalizePermissions, PermissionSet, parsePermission } from './permissions.ts'

test('the grammar parses resources, actions and arguments, and refuses anything else', () => {
  assert.deepEqual(parsePermission('admin'), { resource: 'admin' })
  assert.deepEqual(parsePermission('context'), { resource: 'context' })
  assert.deepEqual(parsePermission('context:execute[ctx1, alice ,set]'), {
    resource: 'context',
    action: 'execute',
    args: ['ctx1', 'alice', 'set'],
  })
  for (const bad of [
    '',
    'Admin',
    'context:',
    'context[]',
    'context[a,,b]',
    'wallet:list',
    'context:execute[a]x',
    'x'.repeat(600),
  ])
    assert.throws(() => parsePermission(bad), { name: 'InvalidPermission' }, bad)
  assert.deepEqual(normalizePermissions(['context[a]', 'context[ a ]', 'admin']), ['context[a]', 'admin'])
})

test('a granted permission covers narrower ones only', () => {
  const c = (g: string, r: string) => covers(parsePermission(g), parsePermission(r))
  assert.ok(c('admin', 'keys:manage'))
  assert.ok(c('context', 'context:create'))
  assert.ok(c('context[ctx1]', 'context:execute[ctx1,alice,set]'))
  assert.ok(!c('context[ctx1]', 'context:execute[ctx2,alice,set]'))
  assert.ok(c('context:execute[ctx1,*,get]', 'context:execute[ctx1,bob,get]'))
  assert.ok(!c('context:execute[ctx1,*,get]', 'context:execute[ctx1,bob,set]'))
  assert.ok(!c('context:execute', 'context:members[ctx1]'))
  assert.ok(!c('context:list', 'keys:list'))
  // A required permission without arguments is not covered by a scoped grant.
  assert.ok(!c('context[ctx1]', 'context:list'))
})

test('a client key may only get what its root covers', () => {
  const root = new PermissionSet(['context[ctx1]', 'context:list'])
  assert.ok(root.includesAll(['context:execute[ctx1,*,*]', 'context:list']))
  assert.ok(!root.includesAll(['context:execute[*,*,*]']))
  assert.ok(!root.includesAll(['admin']))
})

test('request values are literal arguments: they cannot widen what is required', () => {
  const grant = parsePermission('context:execute[ctx1,*,get]')
  const req = (method: string) => ({
    resource: 'context',
    action: 'execute',
    args: ['ctx1', 'alice', method],
  })
  assert.ok(covers(grant, req('get')))
  for (const m of ['get],admin[', 'get,x', '*', 'set']) assert.ok(!covers(grant, req(m)), m)
})
