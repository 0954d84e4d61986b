export * from './fake-paystack';
export * from './http-server';
export * from './otlp-collector';
export * from './stripe-mock';
export * from './billing-harness';
export * from './fake-okx';
export * from './pro-trader';
export * from './service-clients';
