import { z } from 'zod';
import { parseServiceTokenSecrets } from './service-auth';

/** Thrown when the environment does not satisfy a service's schema; names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads and validates configuration once at start. Variable names are the schema's keys,
 * so an error names exactly the variable to fix. Values are never echoed back: some are secrets.
 */
export function loadConfig<S extends z.ZodObject>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<S> {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    // An empty variable means "not set": `FOO= npm start` should fall back to the default.
    input[key] = value === undefined || value.trim() === '' ? undefined : value;
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = issue.path.join('.');
        if (!name) return `configuration is invalid: ${issue.message}`;
        return input[name] === undefined
          ? `${name} is required but not set`
          : `${name} is invalid: ${issue.message}`;
      }),
    );
  }
  return parsed.data;
}

/** Helpers for the shapes environment variables come in. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  url: () => z.url(),
  positiveInt: (fallback: number) => z.coerce.number().int().positive().default(fallback),
  bool: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'])
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  /** Comma-separated list, blanks dropped. */
  list: () =>
    z.string().transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  /** SERVICE_TOKEN_SECRET: comma-separated, first signs, all verify; each at least 32 bytes. */
  serviceTokenSecrets: () =>
    z.string().transform((v, ctx) => {
      try {
        return parseServiceTokenSecrets(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
  logLevel: () =>
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

/** Settings every process shares. */
export const commonConfigShape = {
  LOG_LEVEL: env.logLevel(),
  NATS_URL: z.string().default('nats://127.0.0.1:4222'),
  // This service's own NATS user (deploy/nats/auth.conf says what each may publish and
  // subscribe to). Unset: connect without credentials (`npm start`'s NATS on loopback).
  NATS_USER: z.string().optional(),
  NATS_PASSWORD: z.string().optional(),
  SHUTDOWN_TIMEOUT_MS: env.positiveInt(10_000),
};

/** Services that serve gRPC: where they listen (all interfaces in containers; `npm start`: loopback). */
export const rpcHostShape = {
  RPC_HOST: z.string().default('0.0.0.0'),
};

/**
 * Every service signs or checks internal calls (see service-auth.ts). Required: a service
 * without it refuses to start rather than run open.
 */
export const serviceAuthConfigShape = {
  SERVICE_TOKEN_SECRET: env.serviceTokenSecrets(),
};
