import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: CryptoKey;
  jwk: JWK;
}

/** A key pair as an identity provider has one: the public half goes into the JWKS. */
export async function signingKey(alg: 'RS256' | 'ES256', kid: string): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** A signed token; header fields can be overridden (a wrong kid, another alg). */
export async function signToken(key: SigningKey, claims: JWTPayload, opts: { kid?: string; expiresIn?: string | number; iat?: number } = {}): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: opts.kid ?? key.kid, typ: 'JWT' });
  jwt.setIssuedAt(opts.iat);
  if (opts.expiresIn !== undefined) jwt.setExpirationTime(typeof opts.expiresIn === 'number' ? Math.floor(Date.now() / 1000) + opts.expiresIn : opts.expiresIn);
  return jwt.sign(key.privateKey);
}

/** An OIDC provider's JWKS endpoint on node:http; `fetches` counts how often it was read. */
export class JwksServer {
  keys: JWK[] = [];
  fetches = 0;
  /** When set, the endpoint answers with this status instead of the keys. */
  failWith: number | undefined;
  private server: Server | undefined;
  url = '';

  async start(keys: SigningKey[]): Promise<this> {
    this.keys = keys.map((k) => k.jwk);
    this.server = createServer((req, res) => {
      this.fetches += 1;
      if (this.failWith) return void res.writeHead(this.failWith).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: this.keys }));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}/.well-known/jwks.json`;
    return this;
  }

  stop(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
