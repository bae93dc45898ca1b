#!/usr/bin/env node
// meroctl — operator and verifier CLI. Sources are TypeScript, run through tsx.
import { register } from 'tsx/esm/api'

register()
await import('./meroctl.ts')
