import type { ApiRoute } from './define-route';
import type { ApiDeps } from './deps';
import { exchangeRoutes } from './routes/exchange';
import { historyRoutes } from './routes/history';
import { meRoutes } from './routes/me';
import { notificationApiRoutes } from './routes/notifications';
import { operatorRoutes } from './routes/operator';
import { riskProfileRoutes } from './routes/risk-profile';
import { tradingViewApiRoutes } from './routes/tradingview';

/** Every /api/v1 route, in the order the OpenAPI document lists them. */
export function allApiRoutes(deps: ApiDeps): ApiRoute[] {
  return [
    ...meRoutes(deps),
    ...tradingViewApiRoutes(deps),
    ...exchangeRoutes(deps),
    ...riskProfileRoutes(deps),
    ...notificationApiRoutes(deps),
    ...historyRoutes(deps),
    ...operatorRoutes(deps),
  ];
}
