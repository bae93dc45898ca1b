/**
 * The compose file (node + Redis + anvil + worker) validates with Debian's docker-compose v1, which
 * needs no Docker engine: `docker-compose -f docker-compose.yml config`. Skipped, with the reason, when
 * the command is not installed (`apt-get install --no-install-recommends docker-compose`).
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { REPO_ROOT } from './helpers/child-process.ts'

const probe = spawnSync('docker-compose', ['version', '--short'], { encoding: 'utf8' })
const skip =
  probe.error || probe.status !== 0
    ? `docker-compose is not installed (${probe.error?.message ?? probe.stderr.trim()}); apt-get install --no-install-recommends docker-compose`
    : undefined

/** Runs `docker-compose -f <file> config` in `cwd` (no engine is contacted). */
function composeConfig(cwd: string, file: string) {
  return spawnSync('docker-compose', ['-f', file, 'config'], {
    cwd,
    encoding: 'utf8',
    // Nothing from the caller's environment may change what is validated (e.g. COMPOSE_FILE).
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? tmpdir() },
    timeout: 60_000,
  })
}

test('docker-compose.yml validates and wires node, worker, Redis, anvil and the chain profiles on 127.0.0.1', {
  skip,
}, () => {
  const r = composeConfig(REPO_ROOT, 'docker-compose.yml')
  assert.equal(r.status, 0, `docker-compose config failed:\n${r.stderr}`)
  const out = r.stdout
  for (const service of ['redis', 'anvil', 'merod', 'merod-worker'])
    assert.match(out, new RegExp(`^  ${service}:$`, 'm'), `service ${service}`)
  // Every published port is bound to the loopback interface only.
  const published = [...out.matchAll(/^\s+- (\S+:\d+:\d+)(?:\/tcp)?$/gm)].map((m) => m[1]!)
  assert.ok(published.length >= 3, `published ports: ${published.join(', ')}`)
  for (const p of published) assert.ok(p.startsWith('127.0.0.1:'), `port ${p} is not bound to 127.0.0.1`)
  // The worker reads the node's config from the shared data volume and the same Redis.
  assert.match(out, /- worker\n\s+- --config\n\s+- \/data\/config\.json/)
  assert.match(out, /REDIS_URL: redis:\/\/redis:6379/)
  // Real networks of the other chains are opt-in profiles; merod is told about them through MERO_*.
  for (const [service, profile] of [
    ['near', 'near'],
    ['icp', 'icp'],
    ['stellar', 'stellar'],
    ['starknet', 'starknet'],
  ]) {
    const block = out.match(new RegExp(`^  ${service}:\\n((?:    .*\\n|      .*\\n)*)`, 'm'))?.[1] ?? ''
    assert.match(block, new RegExp(`profiles:\\n\\s+- ${profile}\\n`), `${service} is in profile ${profile}`)
  }
  assert.match(out, /MERO_CHAINS: ethereum\n/)
  assert.match(out, /MERO_RPC: ethereum=http:\/\/anvil:8545\n/)
})

test('docker-compose config rejects a broken compose file (the check can fail)', { skip }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mero-compose-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  await copyFile(join(REPO_ROOT, 'docker-compose.yml'), join(dir, 'ok.yml'))
  const broken = (await readFile(join(dir, 'ok.yml'), 'utf8')).replace(
    /depends_on:\n(\s+)redis: \{ condition: service_healthy \}/,
    'depends_on:\n$1redis: { condition: when_it_feels_like_it }',
  )
  assert.notEqual(broken, await readFile(join(dir, 'ok.yml'), 'utf8'), 'the fixture was altered')
  await writeFile(join(dir, 'broken.yml'), broken)
  assert.equal(composeConfig(dir, 'ok.yml').status, 0)
  const r = composeConfig(dir, 'broken.yml')
  assert.notEqual(r.status, 0, 'an invalid depends_on condition is refused')
})
