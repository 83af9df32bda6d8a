/**
 * web: the dashboard page and the HTTP API over the daemon's `DashboardSource`. Bearer tokens:
 * reads (and /metrics, unless `publicMetrics`) need a read-only or admin token, approve and undo need
 * an admin token; the page's own files are public, as they hold no data. See docs/web.md.
 */
export { startWebServer, type WebServer } from './web-server.ts';
export { buildWebApp, SECURITY_HEADERS, type WebApp } from './web-app.ts';
export { webServerOptionsFromConfig, checkTokens, DEFAULT_WEB_PORT, MIN_TOKEN_LENGTH, type WebServerOptions, type WebToken, type WebRole } from './web-options.ts';
export type { WebIdentity, RouteAccess } from './token-authenticator.ts';
export type { ApiErrorBody } from './api-error.ts';
