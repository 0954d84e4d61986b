import * as dns from 'node:dns';
import * as http from 'node:http';
import * as https from 'node:https';
import type { LookupFunction } from 'node:net';
import { isPrivateAddress } from './address-guard';

export type PostResult =
  | { kind: 'answered'; status: number; retryAfter?: string }
  | { kind: 'timeout' }
  | { kind: 'private_target'; message: string }
  | { kind: 'network'; message: string };

export class PrivateTargetError extends Error {
  readonly code = 'PRIVATE_TARGET';
}

/**
 * DNS lookup that refuses private, loopback and link-local answers. Given to the request
 * itself, so the address checked is the address connected to (no rebinding between a
 * check and the connection).
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { all: true, family: options.family ?? 0 }, (err, addresses) => {
      if (err) return callback(err, '', 4);
      const refused = allowPrivate ? undefined : addresses.find((a) => isPrivateAddress(a.address));
      if (refused || addresses.length === 0) {
        const e = new PrivateTargetError(`${hostname} resolves to ${refused?.address ?? 'nothing'}, a private, loopback or link-local address`);
        return callback(e as NodeJS.ErrnoException, '', 4);
      }
      if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/** One POST, no redirects followed, the whole exchange within `timeoutMs`; the answer's body is not kept. */
export function postOnce(
  url: URL,
  headers: Record<string, string>,
  body: string,
  opts: { timeoutMs: number; allowPrivate: boolean },
): Promise<PostResult> {
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise<PostResult>((resolve) => {
    let settled = false;
    const done = (r: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = mod.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: guardedLookup(opts.allowPrivate),
        // One connection per attempt: endpoints are many and rarely called.
        agent: false,
      },
      (res) => {
        const retryAfter = res.headers['retry-after'];
        res.resume();
        res.on('end', () => done({ kind: 'answered', status: res.statusCode ?? 0, ...(retryAfter ? { retryAfter } : {}) }));
        res.on('error', () => done({ kind: 'answered', status: res.statusCode ?? 0, ...(retryAfter ? { retryAfter } : {}) }));
      },
    );
    const timer = setTimeout(() => {
      done({ kind: 'timeout' });
      req.destroy();
    }, opts.timeoutMs);
    req.on('error', (err) => {
      if (err instanceof PrivateTargetError) done({ kind: 'private_target', message: err.message });
      else done({ kind: 'network', message: (err as NodeJS.ErrnoException).code ?? err.message });
    });
    req.end(body);
  });
}
