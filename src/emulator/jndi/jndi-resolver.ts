/**
 * What the JDK does for `InitialContext.lookup(uri)` on a JDK 8 older than 8u191, as far as the
 * network sees it: LDAP bind and search (then the remote factory class named by the answer fetched
 * over HTTP and run in the emulated JVM, or a referral followed), LDAPS as a TLS ClientHello, RMI's
 * JRMP handshake, DNS as a query for the name sent to the named server, IIOP/CORBA/NIS/NDS/HTTP as
 * a connection. Never throws.
 */
import type { EndpointSocket, SocketKind } from '../behaviour/network-endpoint.ts';
import { receiveAll, resolveAddress } from '../services/http/http-client.ts';
import { isIpv4Literal } from '../services/http/http-url.ts';
import { concatBytes } from './ber.ts';
import { dnsQuery } from './dns-query.ts';
import type { JndiContext } from './jndi-context.ts';
import { parseJndiUri, type JndiUri } from './jndi-uri.ts';
import { JRMP_PROTOCOL_ACK, jrmpClientEndpoint, jrmpHandshake } from './jrmp-handshake.ts';
import { ldapBindRequest, ldapSearchRequest, readLdapAnswer } from './ldap-messages.ts';
import { loadRemoteFactory } from './remote-factory.ts';
import { tlsClientHello } from './tls-client-hello.ts';

/** referrals followed from one lookup (the JDK follows them; a loop must end) */
const MAX_REFERRALS = 2;
const RECEIVE_LIMITS = { maxBytes: 65_536, maxReceives: 16 };

export interface JndiResolution {
  uri: JndiUri | null;
  /** the address connected to (or queried), when the name resolved */
  address: string | null;
  /** the remote classes fetched (LDAP references) */
  classUrls: string[];
}

export class JndiResolver {
  constructor(
    private readonly context: JndiContext,
    private readonly openSocket: (kind: SocketKind) => EndpointSocket,
  ) {}

  lookup(name: string): JndiResolution {
    return this.resolve(name, 0);
  }

  private resolve(name: string, referralDepth: number): JndiResolution {
    const uri = parseJndiUri(name);
    const resolution: JndiResolution = { uri, address: null, classUrls: [] };
    if (!uri) return resolution;
    if (uri.scheme === 'dns') return this.dns(uri, resolution);
    const address = resolveAddress(this.context.network, uri.host === '' ? 'localhost' : uri.host);
    resolution.address = address;
    if (address === null) return resolution;
    const socket = this.openSocket('tcp');
    const connect = this.context.network.connect(socket, address, uri.port);
    if (connect.kind === 'refused' || connect.kind === 'unreachable') {
      this.context.network.close(socket);
      return resolution;
    }
    switch (uri.scheme) {
      case 'ldap':
        this.ldap(socket, uri, resolution, referralDepth);
        break;
      case 'ldaps':
        this.context.network.send(socket, tlsClientHello(isIpv4Literal(uri.host) ? null : uri.host, `${uri.host}:${uri.port}/${uri.name}`));
        receiveAll(this.context.network, socket, RECEIVE_LIMITS);
        break;
      case 'rmi':
        this.rmi(socket);
        break;
      default:
        // iiop, corba, nis, nds, http: the provider opens a connection; that is the evidence
        break;
    }
    this.context.network.close(socket);
    return resolution;
  }

  private ldap(socket: EndpointSocket, uri: JndiUri, resolution: JndiResolution, referralDepth: number): void {
    const network = this.context.network;
    network.send(socket, ldapBindRequest(1));
    const bindAnswer = receiveAll(network, socket, { maxBytes: 4_096, maxReceives: 1 });
    // The search goes out whatever the bind answer was: a sink that answers nothing must still
    // see the DN, which is what the attacker's server keys its payload on.
    network.send(socket, ldapSearchRequest(2, uri.name));
    // the bind response is among the messages read; only entries and referrals matter
    const answer = readLdapAnswer(concatBytes([bindAnswer, receiveAll(network, socket, RECEIVE_LIMITS)]));
    const codebase = answer.attributes.get('javacodebase');
    const factory = answer.attributes.get('javafactory') ?? answer.attributes.get('javaclassname');
    if (codebase && factory) resolution.classUrls.push(...loadRemoteFactory(this.context, this.openSocket, codebase, factory));
    if (referralDepth < MAX_REFERRALS) {
      for (const referral of answer.referrals.slice(0, MAX_REFERRALS)) {
        const followed = this.resolve(referral, referralDepth + 1);
        resolution.classUrls.push(...followed.classUrls);
      }
    }
  }

  private rmi(socket: EndpointSocket): void {
    const network = this.context.network;
    network.send(socket, jrmpHandshake());
    const acknowledgement = receiveAll(network, socket, { maxBytes: 4_096, maxReceives: 1 });
    if (acknowledgement[0] === JRMP_PROTOCOL_ACK) network.send(socket, jrmpClientEndpoint(this.context.environment.hostName));
  }

  private dns(uri: JndiUri, resolution: JndiResolution): JndiResolution {
    const network = this.context.network;
    if (uri.host === '') {
      // no server named: the JVM asks the system resolver
      resolution.address = network.resolve(uri.name);
      return resolution;
    }
    const server = resolveAddress(network, uri.host);
    resolution.address = server;
    if (server === null) return resolution;
    const socket = this.openSocket('udp');
    const id = (this.context.now() * 7919 + uri.name.length) & 0xffff;
    network.sendTo(socket, dnsQuery(id, uri.name), server, uri.port);
    network.receive(socket, 512);
    network.close(socket);
    return resolution;
  }
}
