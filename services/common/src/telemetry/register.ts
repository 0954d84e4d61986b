/**
 * Preloaded with `node --require @tbot/common/dist/telemetry/register.js` so the
 * instrumentations patch http, express and mongodb before the service loads them.
 *
 * Traces go to OTLP/HTTP (Jaeger, an OpenTelemetry Collector) when
 * OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set; without
 * one, spans are still created (trace ids in logs, propagation to other services) but
 * not exported. OTEL_SDK_DISABLED=true turns all of it off.
 */
import { startTelemetry } from './sdk';

startTelemetry();
