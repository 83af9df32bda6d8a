import type { Session } from '../core/index.ts';
import type { ProfileCatalogue } from '../sandbox/index.ts';

/**
 * Which service a session is aimed at, as a service name the catalogue's profiles use
 * (`microsoft-ds`, `msrpc-dynamic`, `http`, `ms-sql-m` …). Content decides first, because attacks
 * go to whatever port answers (HTTP on 8000, DCE/RPC on the port the endpoint mapper handed out);
 * the port decides only when the bytes say nothing. The replay adapts ports, so a kind is enough
 * to pick profiles.
 */
export interface ServiceIdentification {
  /** the catalogue's service name */
  kind: string;
  /** the wire protocol recognised, e.g. smb1, smb2, dcerpc, http, tls, ssrp; 'unknown' when only the port spoke */
  protocol: string;
  by: 'content' | 'port';
}

/** Services carried over TLS: a ClientHello to one of their ports keeps that port's name. */
const TLS_SERVICE_KINDS = new Set(['https', 'ldaps', 'imaps', 'pop3s', 'smtps', 'ftps', 'globalcat-ssl']);
const HTTP_REQUEST_LINE = /^(GET|POST|HEAD|PUT|DELETE|OPTIONS|TRACE|CONNECT|PATCH|PROPFIND|PROPPATCH|MKCOL|COPY|MOVE|LOCK|UNLOCK|SEARCH|SUBSCRIBE|[A-Z]{3,16}) \S+ HTTP\/\d\.\d\r?\n/;
const RTSP_REQUEST_LINE = /^[A-Z_]{3,16} \S+ RTSP\/\d\.\d\r?\n/;
const FTP_COMMAND = /^(USER|PASS|AUTH|FEAT|SYST|OPTS|ACCT|CWD|PWD|LIST|RETR|STOR|TYPE|PASV|PORT|EPSV|QUIT|SITE|MKD|RMD|DELE|NOOP)( [^\r\n]*)?\r?\n/i;
const SMTP_COMMAND = /^(EHLO|HELO|MAIL FROM|STARTTLS)\b/i;
/** How many client turns are looked at: a mid-stream pick-up may begin inside a message */
const TURNS_EXAMINED = 4;

export class ServiceIdentifier {
  /** proto/port → the service name profiles list there */
  private readonly byPort = new Map<string, string>();

  constructor(catalogue: ProfileCatalogue) {
    for (const profile of catalogue.list()) {
      for (const service of profile.services) {
        const key = `${service.proto}/${service.port}`;
        if (!this.byPort.has(key)) this.byPort.set(key, service.name);
      }
    }
  }

  /** The service name a profile lists at this port, if any. */
  nameAtPort(proto: 'tcp' | 'udp', port: number): string | undefined {
    return this.byPort.get(`${proto}/${port}`);
  }

  /** Never throws; null when neither the bytes nor the port name a service. */
  identify(session: Session): ServiceIdentification | null {
    const clientTurns = session.turns.filter((turn) => turn.direction === 'to_server').slice(0, TURNS_EXAMINED);
    let sessionRequest: Omit<ServiceIdentification, 'by'> | null = null;
    for (const turn of clientTurns) {
      const found = session.proto === 'tcp' ? this.tcpContent(turn.data, session.server.port) : this.udpContent(turn.data, session.server.port);
      // a NetBIOS session request comes before SMB on port 139: keep looking for the SMB it carries
      if (found?.protocol === 'netbios-session') sessionRequest ??= found;
      else if (found) return { ...found, kind: sessionRequest && found.protocol.startsWith('smb') ? 'netbios-ssn' : found.kind, by: 'content' };
    }
    if (sessionRequest) return { ...sessionRequest, by: 'content' };
    const serverFirst = session.turns[0]?.direction === 'to_client' ? session.turns[0].data : undefined;
    if (session.proto === 'tcp' && serverFirst) {
      const banner = bannerService(serverFirst, clientTurns[0]?.data);
      if (banner) return { ...banner, by: 'content' };
    }
    const named = this.nameAtPort(session.proto, session.server.port);
    return named === undefined ? null : { kind: named, protocol: 'unknown', by: 'port' };
  }

  private tcpContent(data: Buffer, port: number): Omit<ServiceIdentification, 'by'> | null {
    const smb = smbDialectFamily(data);
    if (smb) return { kind: port === 139 ? 'netbios-ssn' : 'microsoft-ds', protocol: smb };
    if (data[0] === 0x81 && data.length >= 4) return { kind: 'netbios-ssn', protocol: 'netbios-session' };
    if (isDcerpcConnectionOriented(data)) return { kind: port === 135 ? 'msrpc' : 'msrpc-dynamic', protocol: 'dcerpc' };
    const text = data.subarray(0, 4096).toString('latin1');
    if (HTTP_REQUEST_LINE.test(text)) return { kind: 'http', protocol: 'http' };
    if (RTSP_REQUEST_LINE.test(text)) return { kind: 'rtsp', protocol: 'rtsp' };
    if (isTlsClientHello(data)) {
      const named = this.nameAtPort('tcp', port);
      return { kind: named !== undefined && TLS_SERVICE_KINDS.has(named) ? named : 'https', protocol: 'tls' };
    }
    if (text.startsWith('SSH-')) return { kind: 'ssh', protocol: 'ssh' };
    if (isTdsPacket(data)) return { kind: 'ms-sql-s', protocol: 'tds' };
    if (isLdapMessage(data)) return { kind: port === 3268 ? 'globalcat' : 'ldap', protocol: 'ldap' };
    if (data[0] === 0xff && data.length >= 3 && data[1]! >= 0xfb && data[1]! <= 0xfe) return { kind: 'telnet', protocol: 'telnet' };
    if (SMTP_COMMAND.test(text)) return { kind: 'smtp', protocol: 'smtp' };
    if (FTP_COMMAND.test(text)) return { kind: 'ftp', protocol: 'ftp' };
    return null;
  }

  private udpContent(data: Buffer, port: number): Omit<ServiceIdentification, 'by'> | null {
    if (isDcerpcConnectionless(data)) return { kind: port === 135 ? 'msrpc' : 'msrpc-udp', protocol: 'dcerpc-cl' };
    if (isTftpRequest(data)) return { kind: 'tftp', protocol: 'tftp' };
    if (isSsrpRequest(data, port)) return { kind: 'ms-sql-m', protocol: 'ssrp' };
    if (isNetbiosNameQuery(data)) return { kind: 'netbios-ns', protocol: 'nbns' };
    if (port === 53 && data.length >= 12) return { kind: 'domain', protocol: 'dns' };
    if (isLdapMessage(data)) return { kind: 'ldap', protocol: 'cldap' };
    return null;
  }
}

/** smb1 / smb2 / smb3-transform / smb-compressed after a NetBIOS session message header, else null. */
export function smbDialectFamily(data: Buffer): string | null {
  if (data.length < 8 || data[0] !== 0x00) return null;
  if (data[5] !== 0x53 || data[6] !== 0x4d || data[7] !== 0x42) return null; // "SMB"
  switch (data[4]) {
    case 0xff: return 'smb1';
    case 0xfe: return 'smb2';
    case 0xfd: return 'smb3-transform';
    case 0xfc: return 'smb-compressed';
    default: return null;
  }
}

/** DCE/RPC connection-oriented PDU: version 5.0/5.1, a known PDU type, a sane fragment length. */
export function isDcerpcConnectionOriented(data: Buffer): boolean {
  if (data.length < 16 || data[0] !== 5 || (data[1] !== 0 && data[1] !== 1)) return false;
  const type = data[2]!;
  if (![0, 11, 14, 16].includes(type)) return false; // request, bind, alter_context, auth3
  const littleEndian = (data[4]! & 0x10) !== 0;
  const fragmentLength = littleEndian ? data.readUInt16LE(8) : data.readUInt16BE(8);
  return fragmentLength >= 16;
}

/** DCE/RPC connectionless (UDP) PDU: version 4, an 80-byte header whose body length fits the datagram. */
function isDcerpcConnectionless(data: Buffer): boolean {
  if (data.length < 80 || data[0] !== 4 || data[1]! > 10) return false;
  if (data[4] !== 0x00 && data[4] !== 0x10) return false;
  const bodyLength = data[4] === 0x10 ? data.readUInt16LE(74) : data.readUInt16BE(74);
  return 80 + bodyLength <= data.length;
}

export function isTlsClientHello(data: Buffer): boolean {
  // TLS record: handshake (22), version 3.x, a ClientHello (1) whose length fits the record
  if (data.length >= 9 && data[0] === 0x16 && data[1] === 0x03 && data[2]! <= 0x04 && data[5] === 0x01) {
    const recordLength = data.readUInt16BE(3);
    const helloLength = (data[6]! << 16) | (data[7]! << 8) | data[8]!;
    return recordLength >= 4 && helloLength + 4 <= recordLength + 16_384;
  }
  // SSLv2-framed ClientHello, still sent by old scanners: 2-byte length, type 1, version 2.0 or 3.x
  if (data.length < 11 || (data[0]! & 0x80) === 0 || data[2] !== 0x01) return false;
  const length = ((data[0]! & 0x7f) << 8) | data[1]!;
  return (data[3] === 0x03 || (data[3] === 0x00 && data[4] === 0x02)) && length >= 9;
}

function isTdsPacket(data: Buffer): boolean {
  // pre-login (0x12) or login7 (0x10), end-of-message status, big-endian length that fits
  if (data.length < 8 || (data[0] !== 0x12 && data[0] !== 0x10) || (data[1]! & 0xfe) !== 0) return false;
  const length = data.readUInt16BE(2);
  return length >= 8 && length <= data.length;
}

/** BER SEQUENCE holding an INTEGER message id and an LDAP application tag (bind, search, extended …). */
function isLdapMessage(data: Buffer): boolean {
  if (data.length < 7 || data[0] !== 0x30) return false;
  let at = 1;
  const lengthByte = data[at]!;
  at += lengthByte & 0x80 ? 1 + (lengthByte & 0x7f) : 1;
  if (data[at] !== 0x02) return false;
  const idLength = data[at + 1]!;
  if (idLength < 1 || idLength > 4) return false;
  const operation = data[at + 2 + idLength];
  return operation !== undefined && operation >= 0x60 && operation <= 0x78;
}

function isTftpRequest(data: Buffer): boolean {
  if (data.length < 4 || data[0] !== 0 || (data[1] !== 1 && data[1] !== 2)) return false;
  const parts = data.subarray(2).toString('latin1').split('\0');
  return parts.length >= 3 && parts[0]!.length > 0 && /^(netascii|octet|mail)$/i.test(parts[1]!);
}

/**
 * SQL Server Resolution Protocol (MC-SQLR): one-byte broadcast/unicast requests, or 0x04 with an
 * instance name. The message has so little structure that the port must agree, except for the
 * exact one-byte forms.
 */
function isSsrpRequest(data: Buffer, port: number): boolean {
  const type = data[0];
  if (type !== 0x02 && type !== 0x03 && type !== 0x04 && type !== 0x0a) return false;
  return port === 1434 || ((type === 0x02 || type === 0x03) && data.length === 1);
}

/** NBNS: a DNS-shaped header whose first question name is the 32-byte first-level encoded NetBIOS name. */
function isNetbiosNameQuery(data: Buffer): boolean {
  return data.length >= 50 && data[12] === 0x20 && data.readUInt16BE(4) >= 1;
}

/** Server-first protocols, recognised by the greeting and the client's answer to it. */
function bannerService(serverFirst: Buffer, clientFirst: Buffer | undefined): Omit<ServiceIdentification, 'by'> | null {
  const banner = serverFirst.subarray(0, 512).toString('latin1');
  const reply = clientFirst?.subarray(0, 512).toString('latin1') ?? '';
  if (banner.startsWith('SSH-')) return { kind: 'ssh', protocol: 'ssh' };
  if (serverFirst[0] === 0xff && serverFirst.length >= 3 && serverFirst[1]! >= 0xfb) return { kind: 'telnet', protocol: 'telnet' };
  if (/^220[ -]/.test(banner)) {
    if (SMTP_COMMAND.test(reply) || /ESMTP|SMTP/i.test(banner)) return { kind: 'smtp', protocol: 'smtp' };
    return { kind: 'ftp', protocol: 'ftp' };
  }
  return null;
}
