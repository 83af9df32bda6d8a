/**
 * The shell context of a service host: its endpoint, its files (kept until revert), its
 * observations, and an environment that fits its profile (a Windows or a Linux shell's
 * variables, the host name; the web server's user for sh reached through a web server).
 * The environment lives in the host's service state so `set`/`export` persist across sessions.
 */
import type { ServiceHost } from '../services/service.ts';
import type { ShellContext } from './shell-context.ts';

const STATE_KEY = 'shell-environment';

export function hostShellContext(host: ServiceHost, origin: string, nextSocketId?: () => number): ShellContext {
  let environment = host.state.services.get(STATE_KEY) as Map<string, string> | undefined;
  if (!environment) {
    environment = defaultEnvironment(host);
    host.state.services.set(STATE_KEY, environment);
  }
  return {
    network: host.network,
    files: host.state.files,
    environment,
    origin,
    observe: (observation) => host.observe(observation),
    now: () => host.now(),
    sleep: (virtualMs: number) => host.advanceClock?.(virtualMs),
    ...(nextSocketId ? { nextSocketId } : {}),
  };
}

function defaultEnvironment(host: ServiceHost): Map<string, string> {
  const profile = host.profile;
  if (profile.os.kind === 'windows') {
    return new Map([
      ['COMPUTERNAME', host.hostname],
      ['USERNAME', 'SYSTEM'],
      ['USERPROFILE', 'C:\\WINDOWS\\system32\\config\\systemprofile'],
      ['SystemRoot', 'C:\\WINDOWS'],
      ['windir', 'C:\\WINDOWS'],
      ['TEMP', 'C:\\WINDOWS\\TEMP'],
      ['TMP', 'C:\\WINDOWS\\TEMP'],
      ['ComSpec', 'C:\\WINDOWS\\system32\\cmd.exe'],
      ['PATH', 'C:\\WINDOWS\\system32;C:\\WINDOWS;C:\\WINDOWS\\System32\\Wbem'],
      ['OS', 'Windows_NT'],
      ['OS_VERSION', profile.os.version],
    ]);
  }
  const embedded = profile.roles.includes('embedded');
  const webUser = profile.applications.some((application) => application.name === 'tomcat') ? 'tomcat' : profile.applications.some((application) => application.name === 'apache-httpd') ? 'www-data' : 'root';
  const user = embedded ? 'root' : webUser;
  return new Map([
    ['USER', user],
    ['HOME', user === 'root' ? '/root' : user === 'www-data' ? '/var/www' : `/home/${user}`],
    ['HOSTNAME', host.hostname.toLowerCase()],
    ['PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    ['SHELL', '/bin/sh'],
    ['PWD', embedded ? '/' : '/var/www'],
    ['MACHINE', profile.arch === 'arm' ? 'armv7l' : profile.arch === 'x64' ? 'x86_64' : 'i686'],
    ['KERNEL_RELEASE', embedded ? '2.6.18' : '3.2.0-4-amd64'],
  ]);
}
