/**
 * The SQL Server Resolution Service (SSRP, [MC-SQLR]) on UDP 1434: clients ask which instances a
 * host runs and on which port. SQL Server 2000 and MSDE 2000 before SP3 build a registry key from
 * the instance name of a 0x04 request in a fixed stack buffer without checking its length
 * (MS02-039, NGSSoftware 2002; Slammer, 2003): a name longer than the buffer holds overwrites the
 * saved return address, and the bytes of the datagram run.
 */
import type { ServiceHost, DatagramService, PeerAddress } from '../service.ts';

/** [MC-SQLR] 2.2: the request kinds a SQL Server 2000 answers */
const CLIENT_BROADCAST_EX = 0x02;
const CLIENT_UNICAST_EX = 0x03;
const CLIENT_UNICAST_INSTANCE = 0x04;
const SERVER_RESPONSE = 0x05;

/** [MC-SQLR] 2.2.3: a valid instance name is at most 32 bytes (SQL Server itself allows 16 characters) */
const MAX_INSTANCE_NAME_BYTES = 32;
/**
 * The vulnerable code writes `SOFTWARE\Microsoft\Microsoft SQL Server\<name>` and its terminating
 * NUL into a 128-byte stack buffer; names longer than what is left of it (87 bytes) run over the
 * frame (public analyses of Slammer find the saved return address 96 bytes into the name).
 */
const REGISTRY_KEY_PREFIX = 'SOFTWARE\\Microsoft\\Microsoft SQL Server\\';
const REGISTRY_KEY_BUFFER_BYTES = 128;
export const INSTANCE_NAME_ROOM_BYTES = REGISTRY_KEY_BUFFER_BYTES - REGISTRY_KEY_PREFIX.length - 1;

const DEFAULT_INSTANCE = 'MSSQLSERVER';
const SQL_APPLICATIONS = ['sql-server-2000', 'msde-2000'];

export function sqlResolutionService(): DatagramService {
  return {
    kind: 'datagram',
    name: 'ms-sql-m',
    receive(host: ServiceHost, _peer: PeerAddress, _localPort: number, bytes: Uint8Array): Uint8Array[] {
      if (bytes.length === 0) {
        host.anomaly('ms-sql-m.empty_request');
        return [];
      }
      switch (bytes[0]) {
        case CLIENT_BROADCAST_EX:
        case CLIENT_UNICAST_EX:
          return [serverResponse(host)];
        case CLIENT_UNICAST_INSTANCE:
          return instanceRequest(host, bytes);
        default:
          host.anomaly('ms-sql-m.request_type_unknown');
          return [];
      }
    },
  };
}

function instanceRequest(host: ServiceHost, datagram: Uint8Array): Uint8Array[] {
  // the service treats the name as a C string: it runs to the first NUL or the datagram's end
  const terminator = datagram.indexOf(0, 1);
  const name = datagram.subarray(1, terminator < 0 ? datagram.length : terminator);
  if (name.length > INSTANCE_NAME_ROOM_BYTES) {
    const vulnerable = host.reportExploit({
      vulnerability: 'MS02-039',
      service: 'ms-sql-m',
      detail:
        `instance name of ${name.length} bytes in a 0x04 request: the registry key built from it needs ` +
        `${REGISTRY_KEY_PREFIX.length + name.length + 1} bytes of a ${REGISTRY_KEY_BUFFER_BYTES}-byte stack buffer`,
      offset: 1,
    });
    // the overwritten frame returns into the datagram: the service thread never answers
    if (vulnerable) host.runCode(datagram, { service: 'ms-sql-m', vulnerability: 'MS02-039', os: 'windows', bits: 32, placement: 'stack' });
    return [];
  }
  if (name.length > MAX_INSTANCE_NAME_BYTES) {
    host.anomaly('ms-sql-m.instance_name_too_long');
    return [];
  }
  const asked = new TextDecoder('latin1').decode(name);
  // an instance the host does not run gets no answer at all, as the real service does
  return asked.toUpperCase() === DEFAULT_INSTANCE ? [serverResponse(host)] : [];
}

/** SVR_RESP: 0x05, the length of the text (little-endian), the `;`-separated instance description */
function serverResponse(host: ServiceHost): Uint8Array {
  const text = Buffer.from(instanceDescription(host), 'latin1');
  const response = Buffer.alloc(3 + text.length);
  response[0] = SERVER_RESPONSE;
  response.writeUInt16LE(text.length, 1);
  text.copy(response, 3);
  return response;
}

function instanceDescription(host: ServiceHost): string {
  const application = host.profile.applications.find((candidate) => SQL_APPLICATIONS.includes(candidate.name));
  const version = application?.version ?? '8.00.194';
  const tcpPort = host.profile.services.find((service) => service.proto === 'tcp' && service.name === 'ms-sql-s')?.port ?? 1433;
  const server = host.hostname.toUpperCase();
  return (
    `ServerName;${server};InstanceName;${DEFAULT_INSTANCE};IsClustered;No;Version;${version};` +
    `tcp;${tcpPort};np;\\\\${server}\\pipe\\sql\\query;;`
  );
}
