import type { ApiRoute } from './define-route';
import type { ApiDeps } from './deps';
import { historyRoutes } from './routes/history';
import { meRoutes } from './routes/me';
import { operatorRoutes } from './routes/operator';

/** Every /api/v1 route, in the order the OpenAPI document lists them. */
export function allApiRoutes(deps: ApiDeps): ApiRoute[] {
  return [...meRoutes(deps), ...historyRoutes(deps), ...operatorRoutes(deps)];
}
