import { Code, ConnectError } from '@connectrpc/connect';
import { ApiError } from './define-route';

/** allowed_symbols.2 → allowedSymbols.2, defaults.size_type → defaults.sizeType. */
export function camelPath(path: string): string {
  return path.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/**
 * Runs an RPC whose INVALID_ARGUMENT names the field (trading's "max_leverage: …" /
 * "maxLeverage: …", billing's "plan: …") and answers it as the API's 400 with `fields`.
 * `field` forces the field (notifications' messages start with a reason, not a field).
 * The gateway's own schemas catch most bad input first; this is for the rules only the
 * service knows (a duplicate name, a URL that resolves to a private address).
 */
export async function withFieldErrors<T>(call: Promise<T>, field?: string): Promise<T> {
  try {
    return await call;
  } catch (err) {
    if (!(err instanceof ConnectError) || err.code !== Code.InvalidArgument) throw err;
    const m = /^([A-Za-z_][\w.]*): (.+)$/s.exec(err.rawMessage);
    if (field) throw new ApiError(400, 'invalid_request', err.rawMessage, { [field]: m?.[2] ?? err.rawMessage });
    if (m) throw new ApiError(400, 'invalid_request', err.rawMessage, { [camelPath(m[1]!)]: m[2]! });
    throw err;
  }
}

/** A refusal that carries its reason in billing's `error-code` trailer (no_subscription) as 409 <reason>. */
export function preconditionAs409(err: unknown): never {
  if (err instanceof ConnectError && err.code === Code.FailedPrecondition) {
    const reason = err.metadata.get('error-code');
    if (reason) throw new ApiError(409, reason, err.rawMessage);
  }
  throw err;
}
