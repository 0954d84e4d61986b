/** How numbers and times are shown: the browser's locale, UTC times marked as such. */
export function money(n: number | undefined, currency = 'USDT'): string {
  if (n === undefined || n === null || Number.isNaN(n)) return '—';
  return `${n.toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${currency}`;
}

export function num(n: number | undefined, digits = 8): string {
  if (n === undefined || n === null || Number.isNaN(n)) return '—';
  return n.toLocaleString(undefined, { maximumFractionDigits: digits });
}

export function when(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function day(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleDateString(undefined, { dateStyle: 'medium' });
}

export function priceOf(amount: number, currency: string, interval: string): string {
  const per = interval ? ` / ${interval}` : '';
  return `${amount.toLocaleString(undefined, { maximumFractionDigits: 2 })} ${currency.toUpperCase()}${per}`;
}

/** The words shown for a signal's outcome. */
export const OUTCOME_WORDS: Record<string, string> = {
  executed: 'Executed',
  rejected: 'Refused',
  failed: 'Failed',
  duplicate: 'Duplicate',
  accepted: 'Accepted',
};
export const outcomeWord = (o: string) => OUTCOME_WORDS[o] ?? o;
