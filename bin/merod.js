#!/usr/bin/env node
// merod — the mero node daemon. Sources are TypeScript, run through tsx.
import { register } from 'tsx/esm/api'

register()
await import('./merod.ts')
