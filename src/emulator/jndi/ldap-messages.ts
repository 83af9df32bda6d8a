/**
 * What the JDK's LDAP provider says when JNDI looks a name up (an anonymous LDAPv3 bind, then a
 * base-object search for the DN with the ManageDsaIT control), and what it reads back: the
 * entry's attributes (javaCodeBase, javaFactory, javaClassName, javaSerializedData) or referrals.
 */
import { berChildren, berElement, berInteger, berSequence, berString, berText, readBer, type BerValue } from './ber.ts';

const MANAGE_DSA_IT = '2.16.840.1.113730.3.4.2';

export function ldapBindRequest(messageId: number): Uint8Array {
  const bind = berSequence(0x60, berInteger(3), berString(''), berElement(0x80, new Uint8Array(0)));
  return berSequence(0x30, berInteger(messageId), bind);
}

export function ldapSearchRequest(messageId: number, baseObject: string): Uint8Array {
  const search = berSequence(
    0x63,
    berString(baseObject),
    berInteger(0, 0x0a), // scope: baseObject
    berInteger(3, 0x0a), // derefAliases: always
    berInteger(0),
    berInteger(0),
    berElement(0x01, Uint8Array.of(0)),
    berString('objectClass', 0x87), // filter: (objectClass=*)
    berSequence(0x30),
  );
  const controls = berSequence(0xa0, berSequence(0x30, berString(MANAGE_DSA_IT)));
  return berSequence(0x30, berInteger(messageId), search, controls);
}

export interface LdapAnswer {
  /** attribute name (lower case) → first value */
  attributes: Map<string, string>;
  referrals: string[];
  /** a searchResDone arrived */
  done: boolean;
}

/** Reads every complete LDAPMessage in `bytes`; what is not understood is skipped. */
export function readLdapAnswer(bytes: Uint8Array): LdapAnswer {
  const answer: LdapAnswer = { attributes: new Map(), referrals: [], done: false };
  let offset = 0;
  while (offset < bytes.length) {
    const message = readBer(bytes, offset);
    if (!message || message.tag !== 0x30) break;
    offset = message.contentEnd;
    const [, operation] = berChildren(bytes, message);
    if (!operation) continue;
    if (operation.tag === 0x64) readEntry(bytes, operation, answer);
    else if (operation.tag === 0x73) {
      for (const uri of berChildren(bytes, operation)) answer.referrals.push(berText(bytes, uri));
    } else if (operation.tag === 0x65) {
      answer.done = true;
      const referral = berChildren(bytes, operation).find((child) => child.tag === 0xa3);
      if (referral) for (const uri of berChildren(bytes, referral)) answer.referrals.push(berText(bytes, uri));
    }
  }
  return answer;
}

function readEntry(bytes: Uint8Array, entry: BerValue, answer: LdapAnswer): void {
  const [, attributes] = berChildren(bytes, entry);
  if (!attributes) return;
  for (const attribute of berChildren(bytes, attributes)) {
    const [type, values] = berChildren(bytes, attribute);
    if (!type || !values) continue;
    const first = berChildren(bytes, values)[0];
    if (first) answer.attributes.set(berText(bytes, type).toLowerCase(), berText(bytes, first));
  }
}
