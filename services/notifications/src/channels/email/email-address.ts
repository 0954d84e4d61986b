/**
 * Which recipient addresses the email channel sends to. Deliberately narrower than RFC 5321:
 * one plain ASCII `local@domain` with a dotted domain, the shape every address a user can
 * receive mail at on the internet has. Anything else (a display name, a list of addresses,
 * a quoted local part, an IP literal, a dotless host) is refused before any connection is
 * made: such a string is a data error, and a comma or angle bracket in it could otherwise
 * make nodemailer address the message to someone else as well.
 */

// The WHATWG HTML "valid e-mail address" grammar (what browsers accept in <input type=email>),
// with at least two domain labels.
const LOCAL_PART = "[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+";
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const ADDRESS = new RegExp(`^${LOCAL_PART}@${LABEL}(?:\\.${LABEL})+$`);

/** RFC 5321 §4.5.3.1: 64 octets of local part, 254 for the whole path. */
const MAX_LOCAL_PART = 64;
const MAX_ADDRESS = 254;

export function isSendableEmailAddress(address: string): boolean {
  if (address.length > MAX_ADDRESS || !ADDRESS.test(address)) return false;
  return address.indexOf('@') <= MAX_LOCAL_PART;
}

/**
 * The address inside a From value such as `"Trading Bot" <alerts@example.com>` or a bare
 * `alerts@example.com`; undefined when there is no single sendable address in it.
 */
export function addressInFrom(from: string): string | undefined {
  const bracketed = /<([^<>]+)>\s*$/.exec(from);
  const address = (bracketed ? bracketed[1]! : from).trim();
  return isSendableEmailAddress(address) ? address : undefined;
}

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}
