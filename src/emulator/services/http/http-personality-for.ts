/** Which web server a profile runs, from its applications; the Server header from its banner. */
import type { Profile } from '../../../config/index.ts';
import type { PeerAddress } from '../service.ts';
import { ApacheCgiPersonality } from './apache-cgi-personality.ts';
import { DvrWebPersonality } from './dvr-web-personality.ts';
import type { HttpPersonality } from './http-personality.ts';
import { IisPersonality } from './iis-personality.ts';
import { Log4jApplicationPersonality } from './log4j-application-personality.ts';
import { PlainWebPersonality } from './plain-web-personality.ts';

export function httpPersonalityFor(profile: Profile, peer: PeerAddress, localPort: number): HttpPersonality {
  const application = (name: string) => profile.applications.find((candidate) => candidate.name === name);
  const serverHeader = serverHeaderOf(profile, localPort);
  if (application('log4j')) return new Log4jApplicationPersonality(serverHeader, application('tomcat') !== undefined);
  if (application('dvr-httpd')) return new DvrWebPersonality(serverHeader);
  const iis = application('iis');
  if (iis) return new IisPersonality(serverHeader ?? `Microsoft-IIS/${iis.version}`, iis.features.includes('idq-isapi-mapping'));
  const apache = application('apache-httpd');
  const bash = application('bash');
  if (apache && bash?.features.includes('cgi')) return new ApacheCgiPersonality(serverHeader ?? `Apache/${apache.version}`, peer, localPort);
  if (apache) return new PlainWebPersonality(serverHeader ?? `Apache/${apache.version}`, 'apache');
  return new PlainWebPersonality(serverHeader, 'other');
}

/** the banner of the http service on that port, else of any http service; `{hostname}` is not used in Server headers */
function serverHeaderOf(profile: Profile, localPort: number): string | null {
  const http = profile.services.filter((service) => service.name === 'http' || service.name === 'https');
  const service = http.find((candidate) => candidate.port === localPort) ?? http.find((candidate) => candidate.banner !== undefined);
  return service?.banner ?? null;
}
