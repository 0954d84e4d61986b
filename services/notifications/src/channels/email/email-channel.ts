import type { Logger } from '@tbot/common';
import { createTransport, type SMTPPoolOptions, type Transporter } from 'nodemailer';
import type { Attempt, Channel, DeliveryOutcome, Destination, Notification } from '../../channel';
import { composeEmail } from './compose-email';
import { addressInFrom, isSendableEmailAddress } from './email-address';
import { oneClickUnsubscribeUrl } from './email-headers';
import { smtpFailureOutcome, type SmtpFailure } from './smtp-outcome';
import { parseSmtpUrl, redact } from './smtp-url';

/** Pool settings the operator may tune; the rest is fixed by the channel. */
export type EmailPoolOptions = Pick<SMTPPoolOptions, 'maxConnections' | 'maxMessages' | 'rateLimit' | 'rateDelta' | 'idleTimeout'>;

export interface EmailChannelOptions {
  /** SMTP_URL: `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://…:465`. */
  smtpUrl: string;
  /** From header: `alerts@example.com` or `"Trading Bot" <alerts@example.com>`. */
  from: string;
  /** The HTTPS one-click unsubscribe link for a user and event type (`*` = all). */
  unsubscribeUrl: (userId: string, type: string) => string;
  logger: Logger;
  /** Limit for connecting, each SMTP reply and the whole send of one message (ms). */
  timeoutMs?: number;
  pool?: EmailPoolOptions;
}

/**
 * What the server answered on accepting, e.g. "250 2.0.0 Ok: queued as 4F2A9C": the relay's
 * own id, what its support and logs know the message by. (The Message-ID needs no storing:
 * it follows from the delivery id.)
 */
function acceptedAs(response: string | undefined): string | undefined {
  const line = response?.replace(/\s+/g, ' ').trim();
  return line ? line.slice(0, 200) : undefined;
}

/** Long enough for a slow relay, short enough that a stalled one does not hold a delivery for minutes. */
const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Email over SMTP with a pooled nodemailer transport: one message to one address per send,
 * classified into a delivery outcome. Never throws for anything the SMTP side does; it
 * throws only for a programming error (an unsubscribe URL that is not HTTPS).
 */
export class EmailChannel implements Channel {
  readonly name = 'email' as const;
  private readonly transport: Transporter;
  private readonly fromAddress: string;
  private readonly secrets: string[];
  private readonly timeoutMs: number;

  constructor(private readonly options: EmailChannelOptions) {
    const fromAddress = addressInFrom(options.from);
    if (!fromAddress) throw new Error('email: the From address is not a single plain email address');
    this.fromAddress = fromAddress;
    const smtp = parseSmtpUrl(options.smtpUrl);
    this.secrets = smtp.secrets;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    // Checked once here as well as on every send, so a wrong builder fails at start-up.
    oneClickUnsubscribeUrl(options.unsubscribeUrl('config-check', '*'));

    this.transport = createTransport({
      ...options.pool,
      pool: true,
      url: options.smtpUrl,
      connectionTimeout: this.timeoutMs,
      greetingTimeout: this.timeoutMs,
      socketTimeout: this.timeoutMs,
      // Notifications never attach files or URLs; nothing in one may make nodemailer read either.
      disableFileAccess: true,
      disableUrlAccess: true,
      // nodemailer's own logger would write the SMTP dialogue, AUTH included: off.
      logger: false,
      debug: false,
    });
    // A pooled connection that fails while idle is reported here; unhandled, it would crash the process.
    this.transport.on('error', (err: Error) => {
      options.logger.warn({ smtp: smtp.redacted, error: this.redact(err.message) }, 'email: SMTP pool connection failed');
    });
    options.logger.info({ smtp: smtp.redacted, from: fromAddress }, 'email: channel ready');
  }

  async send(destination: Destination, notification: Notification, attempt: Attempt): Promise<DeliveryOutcome> {
    const to = destination.address.trim();
    if (!isSendableEmailAddress(to)) {
      return { kind: 'failed', reason: 'not a valid email address' };
    }
    const message = composeEmail({
      from: this.options.from,
      fromAddress: this.fromAddress,
      to,
      notification,
      attempt,
      unsubscribeUrl: this.options.unsubscribeUrl(notification.userId, notification.type),
    });
    try {
      // The signal bounds the whole send, queueing in the pool included: socket timeouts
      // alone miss a server that trickles its replies.
      const info = (await this.transport.sendMail({ ...message, signal: AbortSignal.timeout(this.timeoutMs) })) as {
        messageId?: string;
        response?: string;
      };
      return { kind: 'delivered', providerId: acceptedAs(info.response) ?? info.messageId };
    } catch (err) {
      const outcome = smtpFailureOutcome(this.failureOf(err));
      const safe = { ...outcome, reason: this.redact(outcome.reason) };
      this.options.logger.warn(
        { eventId: notification.eventId, deliveryId: attempt.deliveryId, attempt: attempt.attempt, outcome: safe.kind, reason: safe.reason },
        'email: not delivered',
      );
      return safe;
    }
  }

  async close(): Promise<void> {
    // Idle connections close at once; one in the middle of a message finishes it first.
    this.transport.close();
  }

  private failureOf(err: unknown): SmtpFailure {
    if (typeof err !== 'object' || err === null) return { message: String(err) };
    const e = err as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return {
      code: str(e.code),
      originalCode: str(e.originalCode),
      responseCode: typeof e.responseCode === 'number' ? e.responseCode : undefined,
      response: str(e.response),
      command: str(e.command),
      message: str(e.message) ?? 'unknown error',
    };
  }

  private redact(text: string): string {
    return redact(text, this.secrets);
  }
}
