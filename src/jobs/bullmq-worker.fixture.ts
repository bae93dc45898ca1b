/**
 * Child process of the bullmq cross-process test (bullmq-job-queue.test.ts): a worker for the queue
 * MERO_QUEUE under MERO_PREFIX at MERO_REDIS_URL that answers with its pid; closes cleanly on SIGTERM.
 */
import { createBullmqJobQueue } from './bullmq-job-queue.ts'

const { MERO_REDIS_URL: url, MERO_PREFIX: prefix, MERO_QUEUE: queue } = process.env
if (!url || !prefix || !queue) throw new Error('MERO_REDIS_URL, MERO_PREFIX and MERO_QUEUE are required')
const jobs = createBullmqJobQueue({ connection: url, prefix })
jobs.process(
  queue,
  async (job) => {
    await job.progress({ pid: process.pid })
    return { pid: process.pid, doubled: (job.data.n as number) * 2 }
  },
  { concurrency: 2 },
)
process.once('SIGTERM', () => {
  void jobs.close().then(() => process.exit(0))
})
process.stdout.write('ready\n')
