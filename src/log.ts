import { pino, type Logger, type LoggerOptions, type DestinationStream } from "pino";

export type { Logger } from "pino";

/**
 * Paths that may hold secrets anywhere in a log record. pino's `redact` replaces them before serialisation.
 * Secret objects (src/secret.ts) already print as `[redacted]`; this catches plain strings that slipped through.
 */
export const REDACT_PATHS = [
  "token",
  "*.token",
  "tokenSecret",
  "*.tokenSecret",
  "*.*.tokenSecret",
  "secret",
  "*.secret",
  "password",
  "*.password",
  "privateKey",
  "*.privateKey",
  "signingSecret",
  "*.signingSecret",
  "appToken",
  "*.appToken",
  "botToken",
  "*.botToken",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "req.headers.authorization",
  "req.headers.cookie",
];

export interface LogOptions {
  level?: string;
  /** Pretty, human output (for a terminal); JSON otherwise. */
  pretty?: boolean;
  destination?: DestinationStream;
}

export function createLogger(opts: LogOptions = {}): Logger {
  const options: LoggerOptions = {
    level: opts.level ?? process.env.LOG_LEVEL ?? "info",
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    base: { app: "pve-chatops" },
  };
  if (opts.destination) return pino(options, opts.destination);
  if (opts.pretty) {
    return pino({ ...options, transport: { target: "pino-pretty", options: { colorize: true } } });
  }
  return pino(options);
}

/** A logger that writes nothing: the default for library code and unit tests. */
export const silentLogger: Logger = pino({ level: "silent" });
