import ccxt from 'ccxt';

/**
 * Whether an OKX error means "these API keys do not work" (the user must fix them at OKX
 * or save new ones), as opposed to a refusal of one order or an outage. OKX answers such
 * requests with HTTP 401 and a code in 501xx (https://www.okx.com/docs-v5/en/#error-code-rest-api-public);
 * ccxt's okx.js turns most of them into AuthenticationError or PermissionDenied, with OKX's
 * body in the message (`okx {"msg":"Invalid Sign","code":"50113"}`).
 */

/** OKX codes that mean the user's keys (or their settings at OKX) are refused. */
export const KEY_REJECTION_CODES: Readonly<Record<string, string>> = {
  '50100': 'API frozen, please contact customer service',
  '50101': "APIKey does not match current environment (demo keys on live or the reverse)",
  '50103': 'Request header OK-ACCESS-KEY can not be empty',
  '50104': 'Request header OK-ACCESS-PASSPHRASE can not be empty',
  '50105': 'Request header OK-ACCESS-PASSPHRASE incorrect',
  '50106': 'Request header OK-ACCESS-SIGN can not be empty',
  '50110': 'Your IP is not in the trusted IP addresses of this API key',
  '50111': 'Invalid OK-ACCESS-KEY',
  '50113': 'Invalid Sign',
  '50114': 'Invalid authorization',
  '50119': "API key doesn't exist",
  '50120': "API key doesn't have permission",
};

/**
 * Authentication codes that are the service's problem, not the keys': a clock off by more
 * than 30 s (50102, 50112) or a request built without a timestamp (50107). Telling the user
 * to replace good keys for them would be wrong.
 */
const NOT_THE_KEYS = new Set(['50102', '50107', '50112']);

export interface KeysRejection {
  /** OKX's code; '' when the refusal came without one (ccxt refusing to send without credentials). */
  code: string;
  message: string;
}

/** OKX's code and msg from ccxt's error message (`okx {json body}`). */
function okxBody(err: Error): { code?: string; msg?: string } {
  const code = /"code":"(\d+)"/.exec(err.message)?.[1];
  const msg = /"msg":"([^"]*)"/.exec(err.message)?.[1];
  return { ...(code ? { code } : {}), ...(msg ? { msg } : {}) };
}

/** The rejection an error means, or undefined when it is not about the keys. */
export function keysRejection(err: unknown): KeysRejection | undefined {
  if (!(err instanceof Error)) return undefined;
  // A network error's message can quote anything; only exchange answers are read.
  if (err instanceof ccxt.NetworkError) return undefined;
  const { code, msg } = okxBody(err);
  if (code !== undefined) {
    if (NOT_THE_KEYS.has(code)) return undefined;
    const known = KEY_REJECTION_CODES[code];
    if (known === undefined) return undefined;
    // OKX's own words when it gave some (they never contain the key), else the table's.
    return { code, message: msg || known };
  }
  if (err instanceof ccxt.AuthenticationError || err instanceof ccxt.PermissionDenied) {
    // ccxt's own refusal (a credential missing): its message names the field, not the value.
    return { code: '', message: err.message.slice(0, 200) };
  }
  return undefined;
}
