import type { Logger } from '@tbot/common';
import type { GatewayConfig } from '../config';
import type { RateLimiters } from '../rate-limit';
import type { RpcClients } from '../rpc-clients';

/** What route modules are built from: `export function xRoutes(deps: ApiDeps): ApiRoute[]`. */
export interface ApiDeps {
  config: GatewayConfig;
  clients: RpcClients;
  logger: Logger;
  limiters: RateLimiters;
}
