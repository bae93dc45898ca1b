/**
 * Sign-in with a wallet (DESIGN §8), the chain-specific half. The auth service (`src/auth/`) owns
 * challenges, nonces, expiry and sessions; a {@link SignInScheme} per CAIP-2 namespace owns what is
 * chain-specific: rendering the challenge as the message that chain's wallets sign, parsing a signed
 * message back into its fields, and verifying the signature (offline where the chain allows it, else
 * through the chain's {@link ChainAdapter.verifySignIn}). Schemes live beside their adapter
 * (`adapters/<chain>/`); the CLI wires them in, the node never imports them.
 */
import type { CallOptions, ChainAdapter } from './chain-adapter.ts'

/** A challenge the node issued (stored until it is used or expires). Times are ms since epoch. */
export interface SignInChallenge {
  /** Single-use nonce: base58 of 32 random bytes (alphanumeric, as EIP-4361 requires). */
  readonly nonce: string
  /** CAIP-2 chain id, e.g. `eip155:31337`. */
  readonly chainId: string
  /** CAIP-10 account, normalised by {@link SignInScheme.normalizeAccount}. */
  readonly account: string
  /** The node's sign-in domain (RFC 3986 authority), e.g. `localhost:2528`. */
  readonly domain: string
  /** The node's sign-in URI, e.g. `http://localhost:2528`. */
  readonly uri: string
  /** Human-readable statement shown by the wallet. */
  readonly statement: string
  readonly issuedAt: number
  readonly expiresAt: number
  /** The signature is not valid before this time (optional). */
  readonly notBefore?: number
  /** Message format when a chain offers several (Stellar: `sep53` default, `sep10`). */
  readonly format?: string
  /** Extra CAIP-122 `Resources:` lines (e.g. a wallet-binding request names its identity there). */
  readonly resources?: readonly string[]
}

/** What the client gets back from `POST /auth/challenge`, besides the challenge fields. */
export interface RenderedChallenge {
  /**
   * The exact message the wallet signs, as text: the EIP-4361 / CAIP-122 text, the SNIP-12 typed
   * data as JSON, or the server-signed SEP-10 transaction envelope (base64 XDR).
   */
  readonly message: string
  /** Chain-specific extras the wallet needs (NEP-413 payload fields, network passphrase, …). */
  readonly extra?: Readonly<Record<string, unknown>>
}

/** The fields of a signed message that the auth service checks against its challenge. */
export interface SignInMessageFields {
  readonly nonce: string
  readonly domain: string
  readonly uri: string
  /** CAIP-2 chain id the message names (full `namespace:reference`). */
  readonly chainId: string
  /** CAIP-10 account the message names, normalised like {@link SignInScheme.normalizeAccount}. */
  readonly account: string
  /** The message's resources (CAIP-122 `Resources:` lines), when the format has them. */
  readonly resources?: readonly string[]
}

/** What `POST /auth/token` carries besides `chainId` and `message`. */
export interface SignInProof {
  /** The message the wallet signed, exactly as rendered (text, typed-data JSON or XDR). */
  readonly message: string
  /** Chain-native signature encoding (0x hex, base64, felt array…); absent for SEP-10 (signed XDR). */
  readonly signature?: unknown
  /** Chain-specific extras: `publicKey` (NEAR, Stellar, Starknet offline), `delegationChain` (ICP)… */
  readonly extra?: Readonly<Record<string, unknown>>
}

/** Node-side facilities a scheme may use. */
export interface SignInContext {
  /** The adapter of the challenge's chain, when that chain is configured on this node. */
  readonly adapter?: ChainAdapter
  /** The node's Ed25519 key, for server-signed challenges (SEP-10). Never logged or returned. */
  readonly server: { readonly publicKey: Uint8Array; sign(message: Uint8Array): Uint8Array }
  /** Current time, ms since epoch (tests move it). */
  now(): number
  readonly call?: CallOptions
}

/** A verified sign-in: the wallet account and how it proved control. */
export interface VerifiedSignIn {
  /** CAIP-10 account (normalised). */
  readonly account: string
  /** How it was checked, e.g. `eoa`, `eip1271`, `erc6492`, `nep413`, `sep53`, `sep10`, `snip12`, `delegation`. */
  readonly method: string
  /** The key that signed, chain-native notation, when there is one. */
  readonly publicKey?: string
}

/**
 * One CAIP-2 namespace's sign-in. Errors: `InvalidInput` (bad account), `InvalidSignInMessage`
 * (unparsable message), `MessageMismatch`, `ChainMismatch`, `WalletSignatureInvalid`,
 * `AccountKeyUnverifiable` (the check needs a chain RPC that is not configured), `ChainUnavailable`.
 */
export interface SignInScheme {
  /** CAIP-2 namespace, e.g. `eip155`. */
  readonly namespace: string
  /** Message formats this scheme renders; the first is the default. */
  readonly formats: readonly string[]
  /** Checks and normalises a CAIP-10 account of this namespace (e.g. EIP-55 checksum). Throws `InvalidInput`. */
  normalizeAccount(account: string): string
  /** Renders the challenge as the message the wallet signs (the service has checked `assertAccountOnChain`). */
  render(challenge: SignInChallenge, context: SignInContext): Promise<RenderedChallenge>
  /** Parses a signed message (in `format`) back into the fields the auth service looks up and compares. */
  parse(message: string, format: string): SignInMessageFields
  /**
   * Verifies `proof` against `challenge` (already looked up, unexpired, nonce claimed, domain/URI/chain
   * compared by the auth service). The scheme requires `proof.message` to be exactly what
   * {@link SignInScheme.render} produced for this challenge (`MessageMismatch` otherwise), then checks
   * the signature. Throws on failure; never resolves for a signature that does not verify.
   */
  verify(
    challenge: SignInChallenge,
    rendered: RenderedChallenge,
    proof: SignInProof,
    context: SignInContext,
  ): Promise<VerifiedSignIn>
}
