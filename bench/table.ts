/**
 * What a benchmark reports, and the one table printer every benchmark and the summary share. A figure
 * is shown next to the ceiling measured by the same script in the same run (LIMITS.md: compare ratios
 * measured side by side, never absolute figures from another day).
 */

/** One measured figure. */
export interface Figure {
  /** Benchmark number and name, e.g. `1 ingest`. */
  bench: string
  /** What was measured, e.g. `leaves/s`. */
  name: string
  value: number
  unit: string
  /** The matching ceiling, measured in the same run (in `unit` unless it names its own). */
  ceiling?: { name: string; value: number; unit?: string }
  /** `value / ceiling.value`, or `value / target` for a bound. */
  ratio?: number
  /** The target in words and whether this run met it (absent: informational). */
  target?: { text: string; met: boolean }
}

/** A benchmark's result: figures for the table, notes printed under it, details for the JSON file. */
export interface BenchResult {
  figures: Figure[]
  notes: string[]
  details: Record<string, unknown>
}

/** Formats a number for the table: integers with thousands separators, small values with 2–3 digits. */
export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n)
  const abs = Math.abs(n)
  if (abs >= 100) return Math.round(n).toLocaleString('en-US')
  if (abs >= 10) return n.toFixed(1)
  return n.toFixed(2)
}

/** Renders rows as an aligned text table (the first row is the header). */
export function renderTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)))
  const line = (r: string[]) => r.map((cell, c) => cell.padEnd(widths[c]!)).join(' │ ')
  const rule = widths.map((w) => '─'.repeat(w)).join('─┼─')
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join('\n')
}

/** The figures as a table: figure, ceiling (same run), ratio, target, met. */
export function figureTable(figures: readonly Figure[]): string {
  const rows = [['bench', 'figure', 'measured', 'ceiling (same run)', 'ratio', 'target', 'met']]
  for (const f of figures)
    rows.push([
      f.bench,
      f.name,
      `${fmt(f.value)} ${f.unit}`,
      f.ceiling ? `${fmt(f.ceiling.value)} ${f.ceiling.unit ?? f.unit} (${f.ceiling.name})` : '—',
      f.ratio === undefined ? '—' : `${(f.ratio * 100).toFixed(0)} %`,
      f.target?.text ?? '—',
      f.target ? (f.target.met ? 'yes' : 'NO') : '',
    ])
  return renderTable(rows)
}

/** Milliseconds since `t0` (a `performance.now()` reading). */
export function since(t0: number): number {
  return performance.now() - t0
}

/** The q-quantile (0..1) of unsorted samples, nearest rank. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN
  const s = [...samples].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!
}
