/** A web server as one profile runs it: what it answers, and what it reports to its host. */
import type { ServiceHost } from '../service.ts';
import type { HttpRequest } from './http-request.ts';
import type { HttpAnswer } from './http-response.ts';

export interface HttpPersonality {
  /** the Server header (the profile's banner), or null when the server sends none */
  readonly serverHeader: string | null;
  handle(request: HttpRequest, host: ServiceHost): HttpAnswer;
}
