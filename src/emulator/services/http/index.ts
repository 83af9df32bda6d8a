/** The HTTP servers of emulated dummies, and the HTTP client their downloaders use. */
export { httpService } from './http-service.ts';
export { httpPersonalityFor } from './http-personality-for.ts';
export type { HttpPersonality } from './http-personality.ts';
export { HttpRequestParser, DEFAULT_HTTP_PARSER_LIMITS, type HttpParserLimits } from './http-request-parser.ts';
export { headerValue, requestPath, requestQuery, type HttpRequest } from './http-request.ts';
export { httpFetch, parseHttpAnswer, type HttpFetchOptions, type HttpFetchResult } from './http-client.ts';
export { parseHttpUrl, urlFileName, type HttpUrl } from './http-url.ts';
export { percentDecode, percentDecodeBytes, parseParameters } from './url-decoding.ts';
export { loggedRequestStrings } from './logged-request-strings.ts';
export { IDQ_BUFFER_CHARACTERS } from './iis-personality.ts';
