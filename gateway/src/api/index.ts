// The /api/v1 route framework: declare a route once (defineRoute), list it in routes.ts.
export { apiRouter, OPERATOR_ROLE, type ApiRouterOptions } from './api-router';
export { ApiError, defineRoute, type ApiRoute, type RouteAuth, type RouteContext, type RouteSpec } from './define-route';
export type { ApiDeps } from './deps';
export { fieldErrors, fieldMessage, type FieldErrors } from './field-errors';
export { openApiDocument, type ApiInfo } from './openapi';
export { iso, isoTime, pageOf, pageQuery } from './paging';
export { allApiRoutes } from './routes';
