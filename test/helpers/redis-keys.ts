/**
 * Test helper: list and delete the Redis keys of one bullmq prefix (`<prefix>:<queue>:…`), so a test
 * that runs on a shared Redis leaves nothing behind. Uses the connection of a bullmq `Queue` that writes
 * no keys of its own.
 */
import { Queue } from 'bullmq'

async function withClient<T>(url: string, fn: (client: Awaited<Queue['client']>) => Promise<T>): Promise<T> {
  const q = new Queue('mero-test-keys', { connection: { url }, skipMetasUpdate: true })
  try {
    return await fn(await q.client)
  } finally {
    await q.close()
  }
}

/** Every key under `prefix` on the Redis at `url`. */
export function redisKeysUnder(url: string, prefix: string): Promise<string[]> {
  return withClient(url, async (client) => {
    const keys: string[] = []
    let cursor = '0'
    do {
      const [next, batch] = await client.scan(cursor, { MATCH: `${prefix}:*`, COUNT: 1000 })
      cursor = next
      keys.push(...batch)
    } while (cursor !== '0')
    return keys
  })
}

/** Deletes every key under `prefix`; resolves with how many there were. */
export async function deleteRedisKeys(url: string, prefix: string): Promise<number> {
  const keys = await redisKeysUnder(url, prefix)
  await withClient(url, async (client) => {
    for (let i = 0; i < keys.length; i += 500) await client.del(...keys.slice(i, i + 500))
  })
  return keys.length
}
