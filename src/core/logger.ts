/** Structured logs through pino. Secrets are redacted by path as a second line of defence. */
import { type Logger, pino } from 'pino'

export type { Logger }

/** Creates the node's logger. */
export function createLogger(
  options: { level?: string; name?: string; destination?: number | string } = {},
): Logger {
  return pino(
    {
      name: options.name ?? 'mero',
      level: options.level ?? 'info',
      redact: {
        paths: [
          '*.secretKey',
          '*.privateKey',
          '*.token',
          '*.authorization',
          'secretKey',
          'privateKey',
          'token',
        ],
        censor: '[redacted]',
      },
    },
    pino.destination({ dest: options.destination ?? 1, sync: false }),
  )
}

/** A logger that discards everything (tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}
