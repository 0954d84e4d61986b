/**
 * SMTP_URL carries credentials (`smtp://user:pass@host:587`). They must never reach a log
 * line, an error or a delivery outcome (which is stored and shown in the deliveries RPC):
 * the channel logs only the redacted form and passes every text it got from nodemailer
 * through `redact` with the secrets found here.
 */

export interface SmtpUrlParts {
  /** The URL without userinfo or query (the query can hold TLS or auth options): safe to log. */
  redacted: string;
  /** Strings that must not appear in any output: the user name and password, raw, decoded and as sent in AUTH. */
  secrets: string[];
}

// Shorter strings would be "found" inside ordinary words; a credential that short is no
// secret anyway.
const MIN_SECRET_LENGTH = 3;

export function parseSmtpUrl(smtpUrl: string): SmtpUrlParts {
  let url: URL;
  try {
    url = new URL(smtpUrl);
  } catch {
    // Not even the URL may be echoed: it is probably the credentials that broke it.
    throw new Error('SMTP_URL is not a valid URL (expected smtp://user:pass@host:port or smtps://…)');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new Error('SMTP_URL must start with smtp:// or smtps://');
  const user = url.username;
  const pass = url.password;
  const decodedUser = safeDecode(user);
  const decodedPass = safeDecode(pass);
  const candidates = [user, pass, decodedUser, decodedPass];
  if (decodedUser || decodedPass) {
    // What AUTH PLAIN and AUTH LOGIN put on the wire, should a transcript ever be logged.
    candidates.push(
      Buffer.from(`\u0000${decodedUser}\u0000${decodedPass}`).toString('base64'),
      Buffer.from(decodedUser).toString('base64'),
      Buffer.from(decodedPass).toString('base64'),
    );
  }
  const secrets = [...new Set(candidates.filter((s) => s.length >= MIN_SECRET_LENGTH))].sort((a, b) => b.length - a.length);
  const userinfo = user || pass ? '***@' : '';
  return { redacted: `${url.protocol}//${userinfo}${url.host}`, secrets };
}

/** Replaces every occurrence of every secret (longest first, so none is left half-replaced). */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('***');
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
