import { listen, readBody, sendJson, type TestServer } from './http-server';

export interface CollectedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}

/** Receives OTLP/HTTP JSON trace exports, as Jaeger or a Collector would. */
export class OtlpCollector {
  readonly spans: CollectedSpan[] = [];
  private server?: TestServer;

  get endpoint(): string {
    if (!this.server) throw new Error('collector not started');
    return this.server.url;
  }

  async start(): Promise<this> {
    this.server = await listen(async (req, res) => {
      const body = await readBody(req);
      if (req.url === '/v1/traces' && req.headers['content-type']?.includes('json')) {
        this.ingest(JSON.parse(body.toString()) as OtlpTracesJson);
      }
      sendJson(res, 200, {});
    });
    return this;
  }

  async stop(): Promise<void> {
    await this.server?.close();
  }

  private ingest(payload: OtlpTracesJson): void {
    this.spans.push(...spansFromOtlp(payload));
  }
}

/** OTLP/JSON traces (an export request, or Jaeger's /api/v3 answer): resourceSpans and below. */
export interface OtlpTracesJson {
  resourceSpans?: unknown[];
}

/** Flattens OTLP/JSON resource spans into one span a row, with its service's name. */
export function spansFromOtlp(payload: OtlpTracesJson): CollectedSpan[] {
  const spans: CollectedSpan[] = [];
  for (const rs of (payload.resourceSpans ?? []) as Array<Record<string, any>>) {
    const attrs = (rs.resource?.attributes ?? []) as Array<{ key: string; value: Record<string, unknown> }>;
    const service = String(Object.values(attrs.find((a) => a.key === 'service.name')?.value ?? {})[0] ?? '');
    for (const ss of rs.scopeSpans ?? []) {
      for (const span of ss.spans ?? []) {
        spans.push({
          service,
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId ?? '',
          name: span.name,
          kind: spanKind(span.kind),
          attributes: Object.fromEntries(
            ((span.attributes ?? []) as Array<{ key: string; value: Record<string, unknown> }>).map((a) => [
              a.key,
              Object.values(a.value)[0],
            ]),
          ),
        });
      }
    }
  }
  return spans;
}

const SPAN_KINDS = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];

/** OTLP/JSON gives the kind as its number; some encoders write the enum's name instead. */
function spanKind(kind: unknown): number {
  return typeof kind === 'string' ? Math.max(0, SPAN_KINDS.indexOf(kind)) : Number(kind ?? 0);
}
