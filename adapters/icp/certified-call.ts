/**
 * Update calls with their certified outcome: sends the call through the agent (`/api/v3/.../call`,
 * or `/api/v2` + `read_state` polling on replicas without v3), verifies the certificate against the
 * agent's root key and returns the reply with the request id (the "transaction" of an ICP anchor).
 * Calling a query method this way gives a replicated, certified read.
 */
import {
  type Agent,
  Certificate,
  type HttpAgent,
  lookupResultToBuffer,
  pollForResponse,
  type RequestId,
} from '@dfinity/agent'
import type { Principal } from '@dfinity/principal'
import { IcReject } from './icp-errors.ts'

/** A certified reply. */
export interface CertifiedReply {
  readonly requestId: string
  readonly reply: Uint8Array
}

/** How long and how {@link callCertified} may wait for a call's outcome. */
export interface CertifiedCallOptions {
  /** Ends the wait (and the agent's polling) when aborted. */
  readonly signal: AbortSignal
  /** Longest wait for the certified outcome of an accepted (202) call, ms. */
  readonly pollLimitMs: number
  /** An abortable sleep (leaves no timer behind when aborted). */
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>
}

const utf8 = new TextDecoder()

/**
 * Calls `method` as an update and returns its certified reply; throws {@link IcReject} on a certified
 * reject, agent errors otherwise. A replica that accepts the call (202) without certifying it yet is
 * polled through `read_state` (1 s, then ×1.2) until `pollLimitMs` or the signal ends the wait; with
 * `acceptedIsEnough`, an accepted call returns at once with `reply` undefined.
 */
export async function callCertified(
  agent: HttpAgent,
  canisterId: Principal,
  method: string,
  arg: Uint8Array,
  o: CertifiedCallOptions & { acceptedIsEnough: true },
): Promise<{ readonly requestId: string; readonly reply: Uint8Array | undefined }>
export async function callCertified(
  agent: HttpAgent,
  canisterId: Principal,
  method: string,
  arg: Uint8Array,
  o: CertifiedCallOptions & { acceptedIsEnough?: false },
): Promise<CertifiedReply>
export async function callCertified(
  agent: HttpAgent,
  canisterId: Principal,
  method: string,
  arg: Uint8Array,
  o: CertifiedCallOptions & { acceptedIsEnough?: boolean },
): Promise<{ readonly requestId: string; readonly reply: Uint8Array | undefined }> {
  const { requestId, response } = await agent.call(canisterId, { methodName: method, arg })
  const id = Buffer.from(requestId).toString('hex')
  const body = response.body as { certificate?: Uint8Array } | null
  if (body?.certificate) {
    if (!agent.rootKey) throw new Error('agent has no root key')
    const cert = await Certificate.create({
      certificate: body.certificate,
      rootKey: agent.rootKey,
      canisterId,
      agent,
    })
    return { requestId: id, reply: outcomeOf(cert, requestId) }
  }
  if (o.acceptedIsEnough) return { requestId: id, reply: undefined }
  const deadline = Date.now() + o.pollLimitMs
  let delay = 1_000
  const strategy = async () => {
    if (o.signal.aborted) throw o.signal.reason
    const left = deadline - Date.now()
    if (left <= 0) throw new DOMException(`no certified outcome within ${o.pollLimitMs} ms`, 'TimeoutError')
    await o.sleep(Math.min(delay, left), o.signal)
    delay *= 1.2
  }
  const polled = await pollForResponse(agent as Agent, canisterId, requestId, { strategy })
  return { requestId: id, reply: new Uint8Array(polled.reply) }
}

/** Reads `request_status/<id>` from a verified certificate: the reply, or throws the reject. */
export function outcomeOf(cert: Certificate, requestId: RequestId | Uint8Array): Uint8Array {
  const path = ['request_status', requestId as Uint8Array]
  const status = lookupResultToBuffer(cert.lookup_path([...path, 'status']))
  const s = status ? utf8.decode(status) : undefined
  if (s === 'replied') {
    const reply = lookupResultToBuffer(cert.lookup_path([...path, 'reply']))
    if (!reply) throw new Error('certificate has no reply')
    return reply
  }
  if (s === 'rejected') {
    const code = lookupResultToBuffer(cert.lookup_path([...path, 'reject_code']))
    const msg = lookupResultToBuffer(cert.lookup_path([...path, 'reject_message']))
    const ec = lookupResultToBuffer(cert.lookup_path([...path, 'error_code']))
    throw new IcReject(code?.[0] ?? 0, msg ? utf8.decode(msg) : '', ec ? utf8.decode(ec) : undefined)
  }
  throw new Error(`request status ${s ?? 'unknown'}`)
}
