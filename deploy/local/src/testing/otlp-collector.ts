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
        this.ingest(JSON.parse(body.toString()));
      }
      sendJson(res, 200, {});
    });
    return this;
  }

  async stop(): Promise<void> {
    await this.server?.close();
  }

  private ingest(payload: { resourceSpans?: unknown[] }): void {
    for (const rs of (payload.resourceSpans ?? []) as Array<Record<string, any>>) {
      const attrs = (rs.resource?.attributes ?? []) as Array<{ key: string; value: Record<string, unknown> }>;
      const service = String(Object.values(attrs.find((a) => a.key === 'service.name')?.value ?? {})[0] ?? '');
      for (const ss of rs.scopeSpans ?? []) {
        for (const span of ss.spans ?? []) {
          this.spans.push({
            service,
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId ?? '',
            name: span.name,
            kind: span.kind,
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
  }
}
