/**
 * Every anomaly the decoder can record, in one place so docs and tests can enumerate them. Each is
 * pushed onto `packet.anomalies` and counted as `decoder.<name>`. Names are stable: add, never rename.
 */
export const DECODER_ANOMALY_DESCRIPTIONS = {
  // link layers
  unsupported_link_type: 'the frame has a link type the decoder does not know',
  ethernet_truncated: 'shorter than the 14-byte Ethernet header',
  llc_truncated: '802.3 frame with less than the 3-byte LLC header',
  vlan_truncated: 'a VLAN tag cut short',
  vlan_too_many_tags: 'more than two VLAN tags; ids past the second are not recorded',
  sll_truncated: 'shorter than the 16-byte Linux cooked (SLL) header',
  sll2_truncated: 'shorter than the 20-byte Linux cooked v2 (SLL2) header',
  null_truncated: 'shorter than the 4-byte BSD loopback header',
  raw_truncated: 'an empty raw-IP frame',
  raw_unknown_version: 'raw-IP frame whose version nibble is neither 4 nor 6',
  arp_truncated: 'ARP packet shorter than its fixed part or its addresses',
  arp_unsupported_format: 'ARP for something other than Ethernet/IPv4',
  // IPv4
  ipv4_header_truncated: 'fewer bytes than the IPv4 header (20, or IHL*4) needs',
  ipv4_bad_version: 'EtherType says IPv4, version nibble disagrees',
  ipv4_bad_header_length: 'IHL below 5',
  ipv4_bad_total_length: 'total length smaller than the header',
  ipv4_zero_total_length: 'total length 0 (segmentation offload on the capturing host); decoded to the frame end',
  ipv4_total_length_exceeds_frame: 'total length longer than the captured bytes; what is there is decoded',
  ipv4_bad_checksum: 'header checksum wrong; the packet is still decoded',
  ipv4_option_malformed: 'an IPv4 option with a bad length',
  // IPv6
  ipv6_header_truncated: 'shorter than the 40-byte IPv6 header',
  ipv6_bad_version: 'EtherType says IPv6, version nibble disagrees',
  ipv6_payload_length_exceeds_frame: 'payload length longer than the captured bytes',
  ipv6_extension_truncated: 'an extension header runs past the packet',
  ipv6_hop_by_hop_not_first: 'hop-by-hop options header after another extension header',
  // fragments (IPv4 and IPv6)
  frag_overlap_mismatch: 'overlapping fragments carry different bytes (the first copy is kept)',
  frag_length_mismatch: 'last fragments disagree on the datagram length, or data lies past it',
  frag_too_large: 'fragment reaches past 65535 bytes',
  frag_memcap_drop: 'fragment memcap reached: older datagrams or this fragment were dropped',
  frag_timeout: 'a fragment arrived for a datagram that had timed out; it starts a new one',
  frag_too_many: 'more fragments than maxFragmentsPerDatagram; the datagram was dropped',
  // transport
  tcp_header_truncated: 'fewer than 20 bytes of TCP header; no tcp header is reported',
  tcp_bad_data_offset: 'data offset below 5 or past the segment; no tcp header is reported',
  tcp_option_truncated: 'a TCP option runs past the header',
  tcp_option_bad_length: 'a TCP option length below 2, or wrong for its kind',
  udp_header_truncated: 'fewer than 8 bytes of UDP header',
  udp_length_mismatch: 'UDP length differs from the IP payload length',
  icmp_truncated: 'ICMP message shorter than its 8-byte header',
  icmpv6_truncated: 'ICMPv6 message shorter than its 8-byte header',
  // tunnels
  encapsulation_too_deep: 'more tunnel layers than maxEncapsulationDepth; the rest is left undecoded',
  gre_truncated: 'GRE header (with its optional fields) cut short',
  gre_unsupported_version: 'GRE version other than 0 (e.g. PPTP enhanced GRE)',
  gre_routing_unsupported: 'GRE with the RFC 1701 routing bit set',
  erspan_truncated: 'ERSPAN header cut short',
  erspan_bad_version: 'ERSPAN version field does not match the type the GRE header implies',
  erspan_unsupported_frame_type: 'ERSPAN III frame type other than Ethernet or IP',
} as const;

export type DecoderAnomaly = keyof typeof DECODER_ANOMALY_DESCRIPTIONS;

export const DECODER_ANOMALIES = Object.keys(DECODER_ANOMALY_DESCRIPTIONS) as readonly DecoderAnomaly[];
