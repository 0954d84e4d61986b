export * from './config';
export * from './logger';
export * from './mongo';
export * from './nats';
export * from './health';
export * from './rpc-server';
export * from './shutdown';
export * from './provider-events';
export * from './periodic';
export { clientTracingInterceptor, serverTracingInterceptor } from './telemetry/connect-tracing';
export { withConsumeSpan } from './telemetry/nats-tracing';
// Generated from proto/ (npm run generate).
export * from './gen/billing/v1/billing_pb.js';
export * from './gen/billing/v1/events_pb.js';
export * from './gen/grpc/health/v1/health_pb.js';
export * from './gen/trading/v1/trading_pb.js';
export * from './outbox';
export * from './webhook-stream';
export * from './metrics-server';
