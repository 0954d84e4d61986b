import { spansFromOtlp, type CollectedSpan, type OtlpTracesJson } from './otlp-collector';

/**
 * Reads traces back from Jaeger's query API, as an operator's tools would. The v3 API
 * answers in OTLP/JSON, so spans come out in the same shape as the hand-made collector's.
 */
export class JaegerQuery {
  constructor(readonly url: string) {}

  /** Every span Jaeger holds for `traceId` (32 hex digits); none while it has not seen it. */
  async trace(traceId: string): Promise<CollectedSpan[]> {
    const res = await fetch(`${this.url}/api/v3/traces/${traceId}`);
    if (res.status === 404) return [];
    if (!res.ok) throw new Error(`GET /api/v3/traces/${traceId} answered ${res.status}: ${await res.text()}`);
    const body = (await res.json()) as { result?: OtlpTracesJson };
    return spansFromOtlp(body.result ?? {});
  }

  /** The link an operator opens (the module build of Jaeger serves no UI, the release image does). */
  traceUrl(traceId: string): string {
    return `${this.url}/trace/${traceId}`;
  }
}
