/**
 * Prometheus metrics of one node (prom-client, one registry per node: several nodes can run in
 * one process).
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import type { AnchorState } from '../proof/proof-types.ts'

/** The node's metrics. */
export interface NodeMetrics {
  registry: Registry
  checkpointsCut: Counter
  deltasApplied: Counter
  anchorLatency: Histogram<'chain'>
  anchorTransitions: Counter<'chain' | 'status'>
}

/** Creates the registry; `collect` callbacks read live values (log size, anchors by status). */
export function createNodeMetrics(sources: {
  logSize: () => number
  anchorCounts: () => Promise<Record<string, Record<AnchorState, number>>>
  defaults?: boolean
}): NodeMetrics {
  const registry = new Registry()
  if (sources.defaults !== false) collectDefaultMetrics({ register: registry, prefix: 'mero_' })
  new Gauge({
    name: 'mero_log_leaves',
    help: 'Leaves in the attestation log',
    registers: [registry],
    collect() {
      this.set(sources.logSize())
    },
  })
  new Gauge({
    name: 'mero_anchors',
    help: 'Anchors by chain and status',
    labelNames: ['chain', 'status'],
    registers: [registry],
    async collect() {
      this.reset()
      for (const [chain, byStatus] of Object.entries(await sources.anchorCounts()))
        for (const [status, n] of Object.entries(byStatus)) this.set({ chain, status }, n)
    },
  })
  return {
    registry,
    checkpointsCut: new Counter({
      name: 'mero_checkpoints_total',
      help: 'Checkpoints cut',
      registers: [registry],
    }),
    deltasApplied: new Counter({
      name: 'mero_deltas_applied_total',
      help: 'Deltas applied to contexts',
      registers: [registry],
    }),
    anchorLatency: new Histogram({
      name: 'mero_anchor_latency_seconds',
      help: 'Time from queueing a checkpoint to its anchor being final',
      labelNames: ['chain'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    anchorTransitions: new Counter({
      name: 'mero_anchor_transitions_total',
      help: 'Anchor state transitions by chain and new status',
      labelNames: ['chain', 'status'],
      registers: [registry],
    }),
  }
}
