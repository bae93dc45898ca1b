/** The part of autocannon 8 (untyped JavaScript) the load child uses. */
declare module 'autocannon' {
  interface Request {
    path?: string
    method?: string
    setupRequest?: (req: Request) => Request
  }
  interface Options {
    url: string
    connections?: number
    duration?: number
    requests?: Request[]
  }
  interface Histogram {
    average: number
    total: number
    p50: number
    p99: number
  }
  interface Result {
    duration: number
    errors: number
    timeouts: number
    non2xx: number
    requests: Histogram
    latency: Histogram & { p90: number; max: number }
    throughput: Histogram
  }
  function autocannon(options: Options): Promise<Result>
  export default autocannon
}
