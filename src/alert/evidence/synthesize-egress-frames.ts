import { ethernet, icmp, ipv4, ipv6, icmpv6, synthesizeTcpExchange, synthesizeUdpExchange } from '../../capture/index.ts';
import type { SynthesizedTurn } from '../../capture/index.ts';
import { compareTimestamps, IpProtocol, LinkType } from '../../core/index.ts';
import type { Frame, Timestamp } from '../../core/index.ts';
import type { EgressExchange } from './egress-exchange.ts';

const ECHO_IDENTIFIER = 0x4354; // 'CT'
/** the answer follows the question by this much, so the pcap reads in order */
const ANSWER_DELAY_NANOSECONDS = 1_000_000;

/** Ethernet frames of every exchange, merged in time order and numbered from 0. */
export function synthesizeEgressFrames(exchanges: readonly EgressExchange[]): Frame[] {
  const frames = exchanges.flatMap((exchange) => framesOf(exchange));
  // stable: frames of one exchange that share a time keep their order
  frames.sort((a, b) => compareTimestamps(a, b));
  return frames.map((frame, index) => ({ ...frame, index }));
}

function framesOf(exchange: EgressExchange): Frame[] {
  if (exchange.proto === 'icmp') return echoFrames(exchange);
  const spec = { client: exchange.from, server: exchange.to, turns: turnsOf(exchange), start: exchange.time };
  return exchange.proto === 'tcp' ? synthesizeTcpExchange(spec) : synthesizeUdpExchange(spec);
}

function turnsOf(exchange: EgressExchange): SynthesizedTurn[] {
  const later = after(exchange.time, ANSWER_DELAY_NANOSECONDS);
  const sent: SynthesizedTurn = { direction: 'to_server', data: exchange.sent, time: exchange.time };
  const received: SynthesizedTurn = { direction: 'to_client', data: exchange.received, time: later };
  if (exchange.order === 'received-first') return [{ ...received, time: exchange.time }, { ...sent, time: later }];
  return [sent, received];
}

/** An echo request carrying `sent` and, when the sink answered, a reply carrying `received`. */
function echoFrames(exchange: EgressExchange): Frame[] {
  const version6 = exchange.from.ip.includes(':');
  const packet = (src: string, dst: string, type: number, body: Buffer): Buffer => {
    const message = (version6 ? icmpv6 : icmp)({ type, rest: (ECHO_IDENTIFIER << 16) | 1 }, body);
    return version6
      ? ethernet('02:00:00:00:00:01', '02:00:00:00:00:02', 0x86dd, ipv6({ src, dst, protocol: IpProtocol.ICMPV6 }, message))
      : ethernet('02:00:00:00:00:01', '02:00:00:00:00:02', 0x0800, ipv4({ src, dst, protocol: IpProtocol.ICMP }, message));
  };
  const frame = (data: Buffer, time: Timestamp, index: number): Frame => ({
    ...time,
    linkType: LinkType.ETHERNET,
    originalLength: data.length,
    data,
    interfaceId: 0,
    fileOffset: -1,
    index,
  });
  const frames = [frame(packet(exchange.from.ip, exchange.to.ip, version6 ? 128 : 8, exchange.sent), exchange.time, 0)];
  if (exchange.received.length > 0) {
    frames.push(frame(packet(exchange.to.ip, exchange.from.ip, version6 ? 129 : 0, exchange.received), after(exchange.time, ANSWER_DELAY_NANOSECONDS), 1));
  }
  return frames;
}

function after(time: Timestamp, nanoseconds: number): Timestamp {
  const total = time.nanoseconds + nanoseconds;
  return { seconds: time.seconds + Math.floor(total / 1e9), nanoseconds: total % 1e9 };
}
