/** ISO 4217 currencies without minor units (Stripe's list): their subunit is the unit. */
const ZERO_DECIMAL = new Set(['BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF']);

/** Providers count money in subunits (cents, kobo); the API in units: 1500000 NGN kobo → 15000. */
export function fromSubunits(amount: bigint | number, currency: string): number {
  const n = Number(amount);
  return ZERO_DECIMAL.has(currency.toUpperCase()) ? n : n / 100;
}
