import { CrashtestError } from '../../core/index.ts';
import { EVENT_TIMESTAMP_PATTERN } from '../event-timestamp.ts';
import { EVIDENCE_KINDS, type EvidenceKind } from '../evidence-item.ts';
import { VERDICT_LEVELS, type VerdictLevel } from '../verdict-level.ts';
import type { ReplayBundle, ReplayBundleCompanion, ReplayBundlePeer, ReplayBundleTurn } from './replay-bundle.ts';

export const BUNDLE_FORMAT = 'crashtest-replay-bundle';
export const BUNDLE_FORMAT_VERSION = 1;

const BASE64 = /^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const IP = /^[0-9A-Fa-f:.]{2,45}$/;
const TOP_LEVEL_KEYS = new Set([
  'format', 'format_version', 'crashtest_version', 'created', 'profile', 'proto', 'client', 'server',
  'flow_id', 'vulnerability', 'dialog', 'companions', 'peers', 'dwell_ms', 'expected',
]);

function encodeTurns(turns: readonly ReplayBundleTurn[]): Array<Record<string, unknown>> {
  return turns.map((turn) => ({ direction: turn.direction, time_offset_us: turn.timeOffsetMicroseconds, data_base64: turn.data.toString('base64') }));
}

/** bundle.json text: the schema's snake_case, bytes in base64, indented for people who open it. */
export function encodeBundle(bundle: ReplayBundle): string {
  const json: Record<string, unknown> = {
    format: BUNDLE_FORMAT,
    format_version: BUNDLE_FORMAT_VERSION,
    crashtest_version: bundle.crashtestVersion,
    ...(bundle.created !== undefined && { created: bundle.created }),
    profile: bundle.profile,
    proto: bundle.proto,
    client: { ip: bundle.client.ip, port: bundle.client.port },
    server: { ip: bundle.server.ip, port: bundle.server.port },
    ...(bundle.flowId !== undefined && { flow_id: bundle.flowId }),
    ...(bundle.vulnerability !== undefined && { vulnerability: bundle.vulnerability }),
    dialog: encodeTurns(bundle.dialog),
    ...(bundle.companions !== undefined && {
      companions: bundle.companions.map((companion) => ({
        client: { ip: companion.client.ip, port: companion.client.port },
        ...(companion.flowId !== undefined && { flow_id: companion.flowId }),
        dialog: encodeTurns(companion.dialog),
      })),
    }),
    ...(bundle.peers !== undefined && {
      peers: bundle.peers.map((peer) => ({
        destination: { ip: peer.destination.ip, port: peer.destination.port },
        captured_client: { ip: peer.capturedClient.ip, port: peer.capturedClient.port },
        ...(peer.flowId !== undefined && { flow_id: peer.flowId }),
        dialog: encodeTurns(peer.dialog),
      })),
    }),
    dwell_ms: bundle.dwellMs,
    expected: { level: bundle.expected.level, evidence_kinds: [...bundle.expected.evidenceKinds] },
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

/**
 * Parses and checks bundle.json text against the rules of schemas/bundle.schema.json (checked by
 * hand: the alert stage takes no runtime packages). Throws CT_ERR_BUNDLE_INVALID naming the field
 * (`details.key`) and `source` (`details.file`).
 */
export function decodeBundle(text: string, source = 'bundle.json'): ReplayBundle {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CrashtestError('CT_ERR_BUNDLE_INVALID', `${source}: not JSON: ${(error as Error).message}`, { file: source }, { cause: error });
  }
  const check = new BundleChecker(source);
  const root = check.object(value, '(root)');
  for (const key of Object.keys(root)) if (!TOP_LEVEL_KEYS.has(key)) check.fail(key, 'is not a bundle field', root[key]);
  if (root.format !== BUNDLE_FORMAT) check.fail('format', `must be '${BUNDLE_FORMAT}'`, root.format);
  if (root.format_version !== BUNDLE_FORMAT_VERSION) check.fail('format_version', `must be ${BUNDLE_FORMAT_VERSION}`, root.format_version);
  const bundle: ReplayBundle = {
    crashtestVersion: check.string(root.crashtest_version, 'crashtest_version'),
    profile: check.string(root.profile, 'profile'),
    proto: check.oneOf(root.proto, 'proto', ['tcp', 'udp'] as const),
    client: check.peer(root.client, 'client'),
    server: check.peer(root.server, 'server'),
    dialog: check.dialog(root.dialog),
    dwellMs: check.integer(root.dwell_ms, 'dwell_ms', 0),
    expected: check.expected(root.expected),
  };
  if (root.created !== undefined) {
    const created = check.string(root.created, 'created');
    if (!EVENT_TIMESTAMP_PATTERN.test(created)) check.fail('created', 'must be an EVE timestamp', created);
    bundle.created = created;
  }
  if (root.flow_id !== undefined) bundle.flowId = check.integer(root.flow_id, 'flow_id', 0);
  if (root.companions !== undefined) bundle.companions = check.companions(root.companions);
  if (root.peers !== undefined) bundle.peers = check.peers(root.peers);
  if (root.vulnerability !== undefined) bundle.vulnerability = check.string(root.vulnerability, 'vulnerability', 0);
  return bundle;
}

/** The schema's rules, one method per shape; each failure names the key path. */
class BundleChecker {
  constructor(private readonly source: string) {}

  fail(key: string, expected: string, found: unknown): never {
    const shown = found === undefined ? 'nothing' : JSON.stringify(found)?.slice(0, 60);
    throw new CrashtestError('CT_ERR_BUNDLE_INVALID', `${this.source}: ${key} ${expected}, found ${shown}`, { file: this.source, key });
  }

  object(value: unknown, key: string): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(key, 'must be an object', value);
    return value as Record<string, unknown>;
  }

  string(value: unknown, key: string, minLength = 1): string {
    if (typeof value !== 'string' || value.length < minLength) this.fail(key, minLength > 0 ? 'must be a non-empty string' : 'must be a string', value);
    return value as string;
  }

  integer(value: unknown, key: string, minimum: number, maximum = Number.MAX_SAFE_INTEGER): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum || value > maximum) {
      this.fail(key, `must be an integer ${minimum}..${maximum}`, value);
    }
    return value as number;
  }

  oneOf<T extends string>(value: unknown, key: string, allowed: readonly T[]): T {
    if (!allowed.includes(value as T)) this.fail(key, `must be one of ${allowed.join(', ')}`, value);
    return value as T;
  }

  exactKeys(record: Record<string, unknown>, key: string, allowed: readonly string[]): void {
    for (const name of Object.keys(record)) if (!allowed.includes(name)) this.fail(`${key}.${name}`, 'is not a field here', record[name]);
  }

  peer(value: unknown, key: string): { ip: string; port: number } {
    const peer = this.object(value, key);
    this.exactKeys(peer, key, ['ip', 'port']);
    const ip = this.string(peer.ip, `${key}.ip`);
    if (!IP.test(ip)) this.fail(`${key}.ip`, 'must be an IP address', ip);
    return { ip, port: this.integer(peer.port, `${key}.port`, 0, 65535) };
  }

  companions(value: unknown): ReplayBundleCompanion[] {
    if (!Array.isArray(value)) this.fail('companions', 'must be an array', value);
    return (value as unknown[]).map((item, index) => {
      const key = `companions[${index}]`;
      const companion = this.object(item, key);
      this.exactKeys(companion, key, ['client', 'flow_id', 'dialog']);
      const decoded: ReplayBundleCompanion = { client: this.peer(companion.client, `${key}.client`), dialog: this.dialog(companion.dialog, `${key}.dialog`, 0) };
      if (companion.flow_id !== undefined) decoded.flowId = this.integer(companion.flow_id, `${key}.flow_id`, 0);
      return decoded;
    });
  }

  peers(value: unknown): ReplayBundlePeer[] {
    if (!Array.isArray(value)) this.fail('peers', 'must be an array', value);
    return (value as unknown[]).map((item, index) => {
      const key = `peers[${index}]`;
      const peer = this.object(item, key);
      this.exactKeys(peer, key, ['destination', 'captured_client', 'flow_id', 'dialog']);
      const decoded: ReplayBundlePeer = {
        destination: this.peer(peer.destination, `${key}.destination`),
        capturedClient: this.peer(peer.captured_client, `${key}.captured_client`),
        dialog: this.dialog(peer.dialog, `${key}.dialog`, 0),
      };
      if (peer.flow_id !== undefined) decoded.flowId = this.integer(peer.flow_id, `${key}.flow_id`, 0);
      return decoded;
    });
  }

  dialog(value: unknown, name = 'dialog', minItems = 1): ReplayBundleTurn[] {
    if (!Array.isArray(value) || value.length < minItems) this.fail(name, minItems > 0 ? 'must be a non-empty array' : 'must be an array', value);
    return (value as unknown[]).map((item, index) => {
      const key = `${name}[${index}]`;
      const turn = this.object(item, key);
      this.exactKeys(turn, key, ['direction', 'time_offset_us', 'data_base64']);
      const data = turn.data_base64;
      if (typeof data !== 'string' || !BASE64.test(data)) this.fail(`${key}.data_base64`, 'must be padded base64', data);
      return {
        direction: this.oneOf(turn.direction, `${key}.direction`, ['to_server', 'to_client'] as const),
        timeOffsetMicroseconds: this.integer(turn.time_offset_us, `${key}.time_offset_us`, 0),
        data: Buffer.from(data as string, 'base64'),
      };
    });
  }

  expected(value: unknown): { level: VerdictLevel; evidenceKinds: EvidenceKind[] } {
    const expected = this.object(value, 'expected');
    this.exactKeys(expected, 'expected', ['level', 'evidence_kinds']);
    const kinds = expected.evidence_kinds;
    if (!Array.isArray(kinds)) this.fail('expected.evidence_kinds', 'must be an array', kinds);
    const evidenceKinds = (kinds as unknown[]).map((kind, index) => this.oneOf(kind, `expected.evidence_kinds[${index}]`, EVIDENCE_KINDS));
    if (new Set(evidenceKinds).size !== evidenceKinds.length) this.fail('expected.evidence_kinds', 'must not repeat a kind', kinds);
    return { level: this.oneOf(expected.level, 'expected.level', VERDICT_LEVELS), evidenceKinds };
  }
}
