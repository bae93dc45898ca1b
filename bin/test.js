#!/usr/bin/env node
import { spawnSync } from 'node:child_process'
// Finds every *.test.ts beside the code and under test/, then runs them with node's test runner.
import { readdirSync } from 'node:fs'
import { join } from 'node:path'

const roots = ['src', 'adapters', 'contracts', 'devnets', 'bin', 'test']
const files = []
const walk = (dir) => {
  let entries
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch {
    return
  }
  for (const e of entries) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue
    const p = join(dir, e.name)
    if (e.isDirectory()) walk(p)
    else if (e.name.endsWith('.test.ts')) files.push(p)
  }
}
for (const r of roots) walk(r)
const filter = process.argv.slice(2)
const selected = filter.length ? files.filter((f) => filter.some((s) => f.includes(s))) : files
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', ...selected.sort()],
  { stdio: 'inherit' },
)
process.exit(r.status ?? 1)
