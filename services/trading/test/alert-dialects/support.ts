import type { Alert, AlertRefusal } from '../../src/alert';
import { parseAlertMessage } from '../../src/alert-dialects';

/** The alerts a message reads as; fails the test with the refusal otherwise. */
export function alertsOf(body: unknown): Alert[] {
  const r = parseAlertMessage(typeof body === 'string' ? body : JSON.stringify(body));
  if (!r.ok) throw new Error(`expected alerts, got ${r.code}: ${r.message}`);
  return r.alerts;
}

export function alertOf(body: unknown): Alert {
  const alerts = alertsOf(body);
  if (alerts.length !== 1) throw new Error(`expected one alert, got ${alerts.length}`);
  return alerts[0]!;
}

export function refusalOf(body: unknown): AlertRefusal {
  const r = parseAlertMessage(typeof body === 'string' ? body : JSON.stringify(body));
  if (r.ok) throw new Error(`expected a refusal, got ${JSON.stringify(r.alerts)}`);
  return r;
}
