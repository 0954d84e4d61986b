export * from './child';
export * from './ferretdb';
export * from './nats-server';
export * from './stack';
export * from './tools';
export * from './jaeger';
export * from './local-jaeger';
export * from './demo-user';
