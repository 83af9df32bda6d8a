import type { Packet } from '../core/index.ts';
import { addEncapsulation, type DecodeContext } from './decode-context.ts';

export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_QINQ = 0x88a8;
/** the pre-standard QinQ outer tag some switches still send */
export const ETHERTYPE_QINQ_LEGACY = 0x9100;

export function isVlanEtherType(etherType: number): boolean {
  return etherType === ETHERTYPE_VLAN || etherType === ETHERTYPE_QINQ || etherType === ETHERTYPE_QINQ_LEGACY;
}

/** More tags than this on one frame is an anomaly; the extra ids are skipped, not recorded. */
const MAX_RECORDED_TAGS = 2;

/**
 * Walks 802.1Q / 802.1ad / QinQ tags starting at `offset` (just after the tagged EtherType).
 * The first tag's id goes to `packet.vlan`, the second to `packet.innerVlan`. Leaves the EtherType
 * after the last tag in `packet.etherType` and returns the offset after it, or -1 when truncated.
 */
export function decodeVlanTags(context: DecodeContext, packet: Packet, data: Buffer, offset: number, end: number): number {
  let cursor = offset;
  let etherType = packet.etherType;
  let tags = 0;
  while (isVlanEtherType(etherType)) {
    if (end - cursor < 4) {
      context.anomaly(packet, 'vlan_truncated');
      return -1;
    }
    const vlanId = data.readUInt16BE(cursor) & 0x0fff;
    tags++;
    if (tags === 1) packet.vlan = vlanId;
    else if (tags === MAX_RECORDED_TAGS) packet.innerVlan = vlanId;
    else if (tags === MAX_RECORDED_TAGS + 1) context.anomaly(packet, 'vlan_too_many_tags');
    addEncapsulation(packet, 'vlan');
    etherType = data.readUInt16BE(cursor + 2);
    cursor += 4;
  }
  context.count('decoder.vlan');
  packet.etherType = etherType;
  return cursor;
}
