export { PacketDecoder, type PacketDecoderStats } from './packet-decoder.ts';
export { DECODER_ANOMALIES, DECODER_ANOMALY_DESCRIPTIONS, type DecoderAnomaly } from './anomalies.ts';
export { formatIpv4, formatIpv6 } from './ip-address.ts';
export type { FragmentReassemblerStats } from './fragment-reassembler.ts';
