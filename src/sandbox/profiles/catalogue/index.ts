import type { ProfileDefinition } from '../profile-definition.ts';
import { BSD_TELNETD } from './bsd-telnetd.ts';
import { BUSYBOX_DVR } from './busybox-dvr.ts';
import { LINUX_APACHE_CGI } from './linux-apache-cgi.ts';
import { OPENSSL } from './openssl.ts';
import { SAMBA } from './samba.ts';
import { TOMCAT_LOG4J } from './tomcat-log4j.ts';
import { WINDOWS_2000 } from './windows-2000.ts';
import { WINDOWS_2003 } from './windows-2003.ts';
import { WINDOWS_7_2008R2 } from './windows-7-2008r2.ts';
import { WINDOWS_CLIENTS } from './windows-clients.ts';
import { WINDOWS_NT } from './windows-nt.ts';
import { WINDOWS_VISTA_2008 } from './windows-vista-2008.ts';
import { WINDOWS_XP } from './windows-xp.ts';

/**
 * The built-in catalogue, one file per family, in the order docs/profiles.md lists them.
 * TypeScript data rather than YAML: the compiler checks each entry against the schema's input type,
 * families share builders (windowsProfile, iis, sqlServer2000) instead of repeating ports and
 * fingerprints, and the stage needs no parser. Every entry is still validated at load by the same
 * zod schema (src/config/profile-schema.ts) that user-declared profiles will go through.
 */
export const CATALOGUE_DEFINITIONS: readonly ProfileDefinition[] = [
  ...WINDOWS_NT,
  ...WINDOWS_2000,
  ...WINDOWS_XP,
  ...WINDOWS_2003,
  ...WINDOWS_VISTA_2008,
  ...WINDOWS_7_2008R2,
  ...WINDOWS_CLIENTS,
  ...LINUX_APACHE_CGI,
  ...TOMCAT_LOG4J,
  ...OPENSSL,
  ...BUSYBOX_DVR,
  ...BSD_TELNETD,
  ...SAMBA,
];
