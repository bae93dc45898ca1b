/**
 * The HTTP plumbing of the devnet: a `node:http` server on 127.0.0.1 that buffers bodies (at most
 * 5 MiB, else 413), hands them to a handler, and turns a {@link HttpRejection} into the IC's error
 * shape (status + text body) and any other failure into a 500 — a bad request never crashes it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { HttpRejection } from './request-auth.ts'

/** Largest accepted request body. */
export const MAX_BODY_BYTES = 5 * 1024 * 1024

/** A handler: answers on `res` or throws. */
export type Handler = (req: IncomingMessage, res: ServerResponse, body: Uint8Array) => Promise<void>

/** Starts listening; resolves with the URL and an idempotent stop. */
export async function listen(
  host: string,
  port: number,
  handle: Handler,
  log: (s: string) => void,
): Promise<{ url: string; stop(): Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY_BYTES) {
        if (!res.headersSent)
          res.writeHead(413, { 'content-type': 'text/plain' }).end('Request body too large')
        req.destroy()
      } else chunks.push(c)
    })
    req.on('end', () => {
      if (res.writableEnded) return
      handle(req, res, Buffer.concat(chunks)).catch((e: unknown) => {
        const rejection = e instanceof HttpRejection
        if (!rejection) log(`devnet error: ${(e as Error).stack}`)
        if (!res.headersSent)
          res
            .writeHead(rejection ? e.status : 500, { 'content-type': 'text/plain' })
            .end(rejection ? e.message : `Internal error: ${(e as Error).message}`)
      })
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
  const addr = server.address() as AddressInfo
  let stopped: Promise<void> | undefined
  return {
    url: `http://${addr.address}:${addr.port}`,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return stopped
    },
  }
}
