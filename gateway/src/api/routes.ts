import type { ApiRoute } from './define-route';
import type { ApiDeps } from './deps';
import { meRoutes } from './routes/me';

/** Every /api/v1 route, in the order the OpenAPI document lists them. */
export function allApiRoutes(deps: ApiDeps): ApiRoute[] {
  return [...meRoutes(deps)];
}
