/**
 * What the Ethereum contract builds share: the artifact shape (`artifacts/<Name>.json`), compiling
 * Solidity sources with solc-js (the wasm compiler inside the `solc` npm package) into such artifacts,
 * and loading a checked-in one.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

/** A compiled contract as written to `artifacts/<contractName>.json`. */
export interface SolcArtifact<Name extends string = string> {
  readonly contractName: Name
  /** Solidity JSON ABI. */
  readonly abi: readonly unknown[]
  /** Creation bytecode, `0x`-prefixed hex. */
  readonly bytecode: `0x${string}`
  /** Runtime bytecode, `0x`-prefixed hex (what `eth_getCode` returns after deployment). */
  readonly deployedBytecode: `0x${string}`
  readonly compiler: {
    readonly name: 'solc'
    /** Full solc version string, e.g. `0.8.37+commit.f401782d.Emscripten.clang`. */
    readonly version: string
    readonly settings: {
      readonly optimizer: { readonly enabled: boolean; readonly runs: number }
      readonly evmVersion: string
    }
  }
  /** `0x`-hex SHA-256 of the Solidity source(s) the artifact was built from. */
  readonly sourceHash: `0x${string}`
}

/** Fixed solc settings (optimizer, EVM version, output selection) of a reproducible build. */
export interface SolcSettings {
  readonly optimizer: { readonly enabled: boolean; readonly runs: number }
  readonly evmVersion: string
  readonly outputSelection: unknown
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[]
  contracts?: Record<
    string,
    Record<
      string,
      { abi: unknown[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }
    >
  >
}

/**
 * Compiles `sources` (file name → Solidity text) with the installed solc and `settings`; returns a
 * function giving the artifact of contract `name` in `file`. Throws with the compiler's messages when
 * a source does not compile (warnings are ignored), or when the output has no such contract.
 *
 * @example
 * const artifactOf = compileSolidity({ 'A.sol': source }, settings)
 * const a = artifactOf('A.sol', 'A', sourceHash)
 */
export function compileSolidity(
  sources: Record<string, string>,
  settings: SolcSettings,
): <Name extends string>(file: string, name: Name, sourceHash: `0x${string}`) => SolcArtifact<Name> {
  const require = createRequire(import.meta.url)
  const solc = require('solc') as { version(): string; compile(input: string): string }
  const input = {
    language: 'Solidity',
    sources: Object.fromEntries(Object.entries(sources).map(([f, content]) => [f, { content }])),
    settings,
  }
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error')
  if (errors.length > 0) throw new Error(`solc failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`)
  return (file, name, sourceHash) => {
    const c = output.contracts?.[file]?.[name]
    if (!c) throw new Error(`solc produced no ${name} contract`)
    return {
      contractName: name,
      abi: c.abi,
      bytecode: `0x${c.evm.bytecode.object}`,
      deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
      compiler: {
        name: 'solc',
        version: solc.version(),
        settings: { optimizer: settings.optimizer, evmVersion: settings.evmVersion },
      },
      sourceHash,
    }
  }
}

/**
 * Loads the checked-in artifact at `path`, which must be contract `name`'s (a fresh, frozen object on
 * each call). Throws, asking for `npm run build`, when it is not.
 *
 * @example
 * const { abi, bytecode } = readSolcArtifact(path, 'MeroAnchor')
 */
export function readSolcArtifact<Name extends string>(path: string, name: Name): SolcArtifact<Name> {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as SolcArtifact<Name>
  if (parsed.contractName !== name || !parsed.bytecode?.startsWith('0x'))
    throw new Error(`${path} is not a ${name} artifact; run \`npm run build\``)
  return Object.freeze(parsed)
}
