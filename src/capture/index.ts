/**
 * capture: pcap and pcapng files and live interfaces in, `Frame` records out. A pure library: no
 * npm packages, no decoding of link headers (decode does that); unknown link types pass through.
 */
export { CaptureParser, type CaptureParserOptions } from './capture-parser.ts';
export type { CaptureFormat, CaptureInterface, CaptureSummary } from './capture-summary.ts';
export { readCaptureFile, type ReadCaptureFileOptions } from './read-capture-file.ts';
export { parseCaptureBuffer } from './parse-capture-buffer.ts';
export { PcapMagic } from './pcap-record-decoder.ts';
export { PcapngBlockType } from './pcapng-block-decoder.ts';
export { TimestampResolution } from './timestamp-resolution.ts';
export { PcapEncoder, type FrameLike, type PcapFormatOptions } from './pcap-encoder.ts';
export { PcapWriter, type PcapWriterOptions } from './pcap-writer.ts';
export { buildPcap } from './build-pcap.ts';
export { buildPcapng, type PcapngBlockSpec, type PcapngSectionSpec } from './build-pcapng.ts';
export {
  LiveCaptureSource,
  type LiveCaptureDeath,
  type LiveCaptureOptions,
  type LiveCaptureStats,
  type LiveCaptureSummary,
} from './live-source.ts';
export { parseTcpdumpStatsLine, type TcpdumpStats } from './tcpdump-stats.ts';
export {
  emptyInterfaceDropCounts,
  INTERFACE_DROP_FIELDS,
  InterfaceDropReader,
  parseSoftnetDropped,
  readBacklogDrops,
  readInterfaceDropCounts,
  type DropCounterSample,
  type InterfaceDropCounts,
  type InterfaceDropField,
  type InterfaceDropReaderOptions,
} from './interface-drop-counters.ts';
export {
  arp,
  ethernet,
  ethernetTagged,
  icmp,
  icmpv6,
  internetChecksum,
  ipv4,
  ipv4Bytes,
  ipv6,
  ipv6Bytes,
  ipv6Extension,
  macBytes,
  macNumber,
  splitFragments,
  tcp,
  tcpOptions,
  udp,
  vlanTag,
  type Ipv4Options,
  type Ipv6Extension,
  type Ipv6Options,
  type TcpOptionSpec,
  type TcpSegmentOptions,
} from './packet-builders.ts';
export {
  synthesizeTcpExchange,
  synthesizeUdpExchange,
  type ExchangeSpec,
  type SynthesizedPeer,
  type SynthesizedTurn,
  type TcpExchangeSpec,
} from './session-synthesizer.ts';
