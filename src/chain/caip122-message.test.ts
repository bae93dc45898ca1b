import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { InvalidSignInMessage } from '../core/errors.ts'
import {
  type Caip122Fields,
  CHAIN_NAMES,
  challengeFields,
  eip55Address,
  isRfc3339DateTime,
  isRfc3986Uri,
  parseCaip122,
  renderCaip122,
  rfc3339,
} from './caip122-message.ts'

// The public EIP-4361 vectors of the spruceid/siwe repository, read in place (never copied). A
// missing folder fails the suite: these tests are the proof that the grammar is EIP-4361's.
const SIWE = fileURLToPath(new URL('../../../shared/vectors/siwe/', import.meta.url))
const vectors = <T>(name: string): Record<string, T> =>
  JSON.parse(readFileSync(`${SIWE}${name}.json`, 'utf8'))

/** A vector's field object as {@link Caip122Fields}: `chainId` as text, a `null` scheme as absent. */
function toFields(v: Record<string, unknown>): Caip122Fields {
  const out: Record<string, unknown> = {}
  for (const [k, value] of Object.entries(v)) {
    if (value === null) continue
    out[k] = k === 'chainId' && typeof value === 'number' ? String(value) : value
  }
  return out as unknown as Caip122Fields
}

const ETH = CHAIN_NAMES.eip155!
const throwsInvalid = (f: () => unknown, what: string) =>
  assert.throws(f, (e) => e instanceof InvalidSignInMessage, what)

describe('CAIP-122 / EIP-4361 messages against the SIWE vectors', () => {
  it('parsing_positive: parse gives the fields, render(fields) gives the message back', () => {
    const cases = vectors<{ message: string; fields: Record<string, unknown> }>('parsing_positive')
    assert.ok(Object.keys(cases).length >= 19)
    for (const [name, { message, fields }] of Object.entries(cases)) {
      assert.deepEqual(parseCaip122(message, ETH), toFields(fields), name)
      assert.equal(renderCaip122(toFields(fields), ETH), message, name)
    }
  })

  it('parsing_negative: every message is refused with InvalidSignInMessage', () => {
    const cases = vectors<string>('parsing_negative')
    assert.ok(Object.keys(cases).length >= 29)
    for (const [name, message] of Object.entries(cases)) throwsInvalid(() => parseCaip122(message, ETH), name)
  })

  it('parsing_negative_objects: every field set is refused by render, each for its one bad field', () => {
    const cases = Object.entries(vectors<Record<string, unknown>>('parsing_negative_objects'))
    assert.ok(cases.length >= 18)
    // The cases share one valid base and each breaks one field: rebuild the base (each key's most
    // common value), show it renders, then show every case differs from it in exactly one field.
    const keys = new Set(cases.flatMap(([, o]) => Object.keys(o)))
    const base: Record<string, unknown> = {}
    for (const k of keys) {
      const counts = new Map<string, number>()
      for (const [, o] of cases)
        if (k in o) counts.set(JSON.stringify(o[k]), (counts.get(JSON.stringify(o[k])) ?? 0) + 1)
      base[k] = JSON.parse([...counts].sort((a, b) => b[1] - a[1])[0]![0])
    }
    assert.doesNotThrow(() => renderCaip122(toFields(base), ETH))
    for (const [name, o] of cases) {
      const differing = [...keys].filter((k) => JSON.stringify(o[k]) !== JSON.stringify(base[k]))
      assert.equal(differing.length, 1, `${name} breaks one field`)
      throwsInvalid(() => renderCaip122(toFields(o), ETH), name)
    }
  })
})

describe('CAIP-122 / EIP-4361 grammar details', () => {
  const base: Caip122Fields = {
    domain: 'localhost:2528',
    address: '0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2',
    statement: 'Sign in to this mero node.',
    uri: 'http://localhost:2528',
    version: '1',
    chainId: '31337',
    nonce: 'q9XbT2kLmN4pR7sVwYz',
    issuedAt: '2026-11-24T10:00:00.000Z',
    expirationTime: '2026-11-24T10:10:00.000Z',
    notBefore: '2026-11-24T10:00:00.000Z',
    requestId: 'req-1',
    resources: ['mero:identity:abc', 'https://example.com/x?y#z'],
  }

  it('round-trips every optional field, an empty statement and an empty resource list', () => {
    for (const f of [
      base,
      { ...base, statement: '' },
      { ...base, resources: [] },
      { ...base, requestId: '' },
    ]) {
      const text = renderCaip122(f, ETH)
      assert.deepEqual(parseCaip122(text, ETH), f)
    }
    const noStatement = { ...base, statement: undefined }
    delete noStatement.statement
    assert.match(renderCaip122(noStatement, ETH), /Cc2\n\n\nURI: /)
    assert.equal(renderCaip122({ ...base, statement: '' }, ETH).includes('Cc2\n\n\n\nURI: '), true)
  })

  it('uses the chain name in the header and the chain grammar for address and chain id', () => {
    const near = { ...base, address: 'alice.test.near', chainId: 'localnet' }
    const text = renderCaip122(near, 'NEAR')
    assert.ok(
      text.startsWith('localhost:2528 wants you to sign in with your NEAR account:\nalice.test.near\n'),
    )
    assert.deepEqual(parseCaip122(text, 'NEAR'), near)
    throwsInvalid(() => parseCaip122(text, ETH), 'header of another chain')
    throwsInvalid(() => renderCaip122(near, ETH), 'a NEAR account is no Ethereum address')
    throwsInvalid(
      () => renderCaip122({ ...base, chainId: 'localnet' }, ETH),
      'Ethereum chain ids are decimal',
    )
    throwsInvalid(() => renderCaip122({ ...near, address: 'alice test' }, 'NEAR'), 'CAIP-10 address')
    throwsInvalid(() => renderCaip122({ ...near, chainId: 'a:b' }, 'NEAR'), 'CAIP-2 reference')
  })

  it('refuses texts that bend the line structure', () => {
    const text = renderCaip122(base, ETH)
    for (const bad of [
      `${text}\n`,
      text.replace('\nVersion: 1', '\nVersion:  1'),
      text.replace('Chain ID: ', 'Chain Id: '),
      text.replace('Sign in to this mero node.', 'Sign in\rto this node'),
      text.replace('Sign in to this mero node.', 'Sign in — to this node'),
      text.replace('Request ID: req-1', 'Request ID: a b'),
      text.replace('- mero:identity:abc', '-mero:identity:abc'),
      text.replace('\n\nURI', '\nURI'),
      'x'.repeat(20_000),
    ])
      throwsInvalid(() => parseCaip122(bad, ETH), JSON.stringify(bad.slice(0, 80)))
    throwsInvalid(() => parseCaip122(42 as unknown as string, ETH), 'not a string')
  })

  it('refuses malformed fields with InvalidSignInMessage, never a TypeError', () => {
    for (const bad of [
      { scheme: '1http' },
      { domain: '' },
      { domain: 'a b' },
      { domain: 'host:80x' },
      { domain: '[::1' },
      { domain: '[1:2:3]' },
      { address: '0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2' },
      { address: 42 },
      { uri: 'no-scheme' },
      { uri: 'http://a b' },
      { uri: 'http://h/%zz' },
      { version: 1 },
      { nonce: 'short' },
      { nonce: 'has-dash-123' },
      { issuedAt: '2023-02-29T00:00:00Z' },
      { issuedAt: '2026-11-24 10:00:00Z' },
      { expirationTime: '2026-13-01T00:00:00Z' },
      { resources: 'https://x' },
      { resources: [1] },
    ])
      throwsInvalid(
        () => renderCaip122({ ...base, ...bad } as unknown as Caip122Fields, ETH),
        JSON.stringify(bad),
      )
    throwsInvalid(() => renderCaip122(null as unknown as Caip122Fields, ETH), 'null fields')
  })

  it('checks RFC 3986 URIs and RFC 3339 date-times as their grammars say', () => {
    for (const ok of [
      'https://[::cafe]',
      'https://[2001:db8::1]:8443/p',
      'http://[v1.x]',
      'urn:isbn:0451450523',
      'mailto:a@b.c',
      'did:key:z6Mk',
      'file:///tmp/x',
      'https://u:p@h:1/a/./b?q=1/?#f?/',
    ])
      assert.ok(isRfc3986Uri(ok), ok)
    for (const bad of [
      ':x',
      '1a:b',
      'http://h/#a#b',
      'http://[::g]',
      'http://h:p',
      'a:b c',
      'http://h/\u00e9',
    ])
      assert.ok(!isRfc3986Uri(bad), bad)
    for (const ok of ['2024-02-29T23:59:60Z', '2021-09-30T16:25:24-02:00', '2021-09-30t16:25:24.1234z'])
      assert.ok(isRfc3339DateTime(ok), ok)
    for (const bad of [
      '2100-02-29T00:00:00Z',
      '2021-04-31T00:00:00Z',
      '2021-09-30T24:00:00Z',
      '2021-09-30T16:25Z',
    ])
      assert.ok(!isRfc3339DateTime(bad), bad)
  })

  it('computes EIP-55 checksums (EIP-55 examples)', () => {
    for (const a of [
      '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
      '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
      '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB',
      '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb',
    ])
      assert.equal(eip55Address(a.toLowerCase()), a)
  })

  it('renders a challenge with RFC 3339 times and its resources', () => {
    const issuedAt = Date.UTC(2026, 10, 24, 10)
    const f = challengeFields(
      {
        nonce: 'q9XbT2kLmN4pR7sVwYz',
        domain: 'localhost:2528',
        uri: 'http://localhost:2528',
        statement: 'Sign in.',
        issuedAt,
        expiresAt: issuedAt + 600_000,
        resources: ['mero:identity:abc'],
      },
      base.address,
      '31337',
    )
    assert.equal(f.issuedAt, '2026-11-24T10:00:00.000Z')
    assert.equal(f.expirationTime, rfc3339(issuedAt + 600_000))
    assert.deepEqual(f.resources, ['mero:identity:abc'])
    assert.deepEqual(parseCaip122(renderCaip122(f, ETH), ETH), f)
  })
})
