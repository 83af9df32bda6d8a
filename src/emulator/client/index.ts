/** The client-side dummy: a browser that reads the server side of captured HTTP sessions statically. */
export { browse, type BrowseLimits, type BrowseResult, type BrowsedPage } from './browser.ts';
export { parseHttpResponses, type HttpResponse, type ParsedResponses, type ResponseStreamLimits } from './http-response-stream.ts';
export { decodePage, isExecutable, type PageFindings, type EmbeddedObject, type PluginKind } from './page-decoder.ts';
export { decodeScriptStrings, jsUnescape, stringBytes, looksLikeHeapSpray, type DecodedString, type ScriptBudget } from './script-strings.ts';
export { CLIENT_VULNERABILITY_MARKERS, GENERIC_CLIENT_EXPLOIT, namedVulnerabilities, type ClientVulnerabilityMarker } from './client-vulnerabilities.ts';
