import type { LearnedSignature } from './learned-signatures.ts';

/**
 * Learned signatures as Suricata rules, so a sensor without crashtest (or in front of it) can
 * flag copies too. One rule per signature with content: alert PROTO any any -> DESTINATION PORT,
 * the pattern as content with |hex| escapes, sid and rev from the signature, msg naming the
 * vulnerability or behaviour, and the payload key in metadata so an alert leads back to the proof.
 */
export interface SuricataExportOptions {
  /** destination address group: CIDR blocks, a variable such as $HOME_NET, or any (the default) */
  destination?: readonly string[] | string;
}

export function exportSuricataRules(signatures: readonly LearnedSignature[], options: SuricataExportOptions = {}): string {
  const destination = addressGroup(options.destination);
  const rules: string[] = [];
  for (const signature of signatures) {
    if (!signature.content) continue; // nothing an IDS could look for: the key alone is crashtest's
    rules.push(suricataRule(signature, destination));
  }
  return rules.length === 0 ? '' : rules.join('\n') + '\n';
}

export function suricataRule(signature: LearnedSignature, destination = 'any'): string {
  const options = [
    `msg:"${escapeMessage(signature.message)}"`,
    signature.proto === 'tcp' ? 'flow:to_server,established' : 'flow:to_server',
    `content:"${escapeContent(signature.content!.bytes)}"`,
    'classtype:attempted-admin',
    `metadata:crashtest_payload_key ${signature.payloadKey}, crashtest_level ${signature.facts.level}`,
    `sid:${signature.id}`,
    `rev:${signature.revision}`,
  ];
  const port = signature.port === null ? 'any' : String(signature.port);
  return `alert ${signature.proto} any any -> ${destination} ${port} (${options.join('; ')};)`;
}

function addressGroup(destination: SuricataExportOptions['destination']): string {
  if (destination === undefined) return 'any';
  if (typeof destination === 'string') return destination;
  if (destination.length === 0) return 'any';
  return destination.length === 1 ? destination[0]! : `[${destination.join(',')}]`;
}

/** msg is a quoted string: quotes, semicolons and backslashes would end or break it. */
function escapeMessage(message: string): string {
  return message.replace(/[\\";]/g, (character) => `\\${character}`).replace(/[^\x20-\x7e]/g, '?');
}

/** Printable bytes stay text; anything else, and the characters content syntax reserves, become |hex|. */
export function escapeContent(bytes: Buffer): string {
  let out = '';
  let inHex = false;
  for (const byte of bytes) {
    const plain = byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x3b && byte !== 0x5c && byte !== 0x7c && byte !== 0x3a;
    if (plain) {
      if (inHex) out += '|';
      inHex = false;
      out += String.fromCharCode(byte);
    } else {
      out += inHex ? ' ' : '|';
      inHex = true;
      out += byte.toString(16).padStart(2, '0').toUpperCase();
    }
  }
  return inHex ? out + '|' : out;
}
