import { Code, ConnectError } from '@connectrpc/connect';

/** The slice of the Paystack REST API that billing uses. */
export class PaystackClient {
  constructor(
    private readonly secretKey: string,
    private readonly baseUrl: string,
    private readonly timeoutMs: number,
  ) {}

  async initialize(body: {
    email: string;
    amount: number;
    currency?: string;
    reference: string;
    callback_url?: string;
    plan?: string;
    metadata: Record<string, string>;
  }): Promise<{ authorization_url: string; access_code: string; reference: string }> {
    const res = await this.call('POST', '/transaction/initialize', body);
    const data = res.data as Record<string, unknown> | undefined;
    if (!res.status || typeof data?.authorization_url !== 'string') {
      throw new ConnectError(`Paystack refused the transaction: ${String(res.message ?? 'no reason')}`, Code.FailedPrecondition);
    }
    return data as { authorization_url: string; access_code: string; reference: string };
  }

  /** The transaction's data, or undefined when Paystack knows no such reference. */
  async verify(reference: string): Promise<Record<string, unknown> | undefined> {
    const res = await this.call('GET', `/transaction/verify/${encodeURIComponent(reference)}`, undefined, [400, 404]);
    // status:true only says the call worked; the payment's state is data.status.
    if (!res.status) return undefined;
    return (res.data as Record<string, unknown> | undefined) ?? undefined;
  }

  /**
   * Stops a subscription's renewals (`POST /subscription/disable`). Paystack wants the
   * subscription's email token with its code; it is read from the subscription first.
   */
  async disableSubscription(code: string): Promise<void> {
    const sub = await this.call('GET', `/subscription/${encodeURIComponent(code)}`);
    const token = (sub.data as Record<string, unknown> | undefined)?.email_token;
    if (!sub.status || typeof token !== 'string') throw new ConnectError(`Paystack has no subscription ${code}`, Code.FailedPrecondition);
    const res = await this.call('POST', '/subscription/disable', { code, token });
    if (!res.status) throw new ConnectError(`Paystack refused to disable the subscription: ${String(res.message ?? 'no reason')}`, Code.FailedPrecondition);
  }

  private async call(
    method: string,
    path: string,
    body?: unknown,
    acceptedErrors: number[] = [],
  ): Promise<{ status?: boolean; message?: string; data?: unknown }> {
    let res: Response;
    try {
      res = await fetch(new URL(path.replace(/^\//, ''), this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`), {
        method,
        headers: {
          Authorization: `Bearer ${this.secretKey}`,
          ...(body ? { 'Content-Type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new ConnectError(`Paystack unreachable: ${(err as Error).name}`, Code.Unavailable);
    }
    let json: { status?: boolean; message?: string; data?: unknown };
    try {
      json = (await res.json()) as typeof json;
    } catch {
      throw new ConnectError(`Paystack answered ${res.status} without JSON`, Code.Unavailable);
    }
    if (res.ok || acceptedErrors.includes(res.status)) return json;
    if (res.status === 401) throw new ConnectError('Paystack rejected our secret key', Code.FailedPrecondition);
    if (res.status >= 500) throw new ConnectError(`Paystack error ${res.status}`, Code.Unavailable);
    throw new ConnectError(`Paystack refused: ${json.message ?? res.status}`, Code.FailedPrecondition);
  }
}
