import type { SmbConnectionState } from './smb-connection-state.ts';

/** `cmd` and $(cmd): what /bin/sh substitutes when smbd hands it the user name */
const SUBSTITUTION = /`([^`]*)`|\$\(([^)]*)\)/g;

/**
 * Samba 3.0.0–3.0.25rc3 passes the logon's user name, unescaped, to /bin/sh when a "username map
 * script" is configured (CVE-2007-2447), before any password is checked. On a profile running
 * Samba, a user name carrying shell command substitution reaches that shell.
 */
export function sambaUsernameMapCheck(connection: SmbConnectionState, user: string): void {
  const host = connection.host;
  if (!host.profile.applications.some((application) => application.name === 'samba')) return;
  if (!user.includes('`') && !user.includes('$(')) return;
  const vulnerable = connection.reportOnce(`CVE-2007-2447:${user}`, {
    vulnerability: 'CVE-2007-2447',
    service: 'smb',
    detail: `logon user name with shell command substitution reaches the username map script: ${user.slice(0, 120)}`,
  });
  if (!vulnerable) return;
  const commands = [...user.matchAll(SUBSTITUTION)].map((match) => (match[1] ?? match[2] ?? '').trim()).filter((command) => command !== '');
  for (const command of commands.length > 0 ? commands : [user]) host.runCommand('sh', command, 'smb');
  // smbd's child ran the script and the logon fails: the connection ends with it
  connection.closed = true;
}
