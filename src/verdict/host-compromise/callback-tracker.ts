/**
 * Rule 1, callback: after an attack from A on V, V opens a connection to A, or to a destination the
 * attack predicts (where the dummy connected when it detonated the payload, or an address the
 * payload names, such as a JNDI URL). Reverse shells, Meterpreter stagers and Log4Shell lookups all
 * look like this; a clean server has no reason to open connections to the host that just sent it an
 * exploit.
 *
 * Notes come from triage and replay, which run behind capture, so a note may arrive after the
 * callback it explains: both sides are kept for the window, and whichever arrives second completes
 * the match. Protocol reflexes of the victim's own stack toward a peer (ident, NetBIOS name and
 * datagram, DNS, NTP, LLMNR/mDNS/SSDP) are not callbacks to the attacker; toward a predicted
 * destination everything counts, since the dummy showed that very contact.
 *
 * Memory: at most `hosts` victims with pending notes (`notesPerHost` each) and at most `hosts`
 * hosts with recent outbound contacts (`contactsPerHost` each), all pruned to the window.
 */
import type { Counters, Session, Timestamp } from '../../core/index.ts';
import type { AttackNote, HostCompromiseFinding } from './host-compromise-finding.ts';
import { RecencyMap } from './recency-map.ts';
import { secondsOf, sessionStart } from './session-time.ts';

export interface CallbackOptions {
  /** how long after the attack a connection counts as its callback (600 s = 10 min) */
  windowSeconds: number;
  hosts: number;
  notesPerHost: number;
  contactsPerHost: number;
}

export const DEFAULT_CALLBACK_OPTIONS: CallbackOptions = { windowSeconds: 600, hosts: 4096, notesPerHost: 16, contactsPerHost: 256 };

const REFLEX_PORTS = {
  tcp: new Set([53, 113]),
  udp: new Set([53, 123, 137, 138, 1900, 5353, 5355]),
};

interface OutboundContact {
  sessionId: number;
  time: Timestamp;
  address: string;
  port: number;
  proto: 'tcp' | 'udp';
}

export class CallbackTracker {
  private readonly notes: RecencyMap<string, AttackNote[]>;
  private readonly contacts: RecencyMap<string, OutboundContact[]>;
  /** attack sessions already reported, so one attack gives one finding */
  private readonly reported: RecencyMap<number, true>;
  private latestSeconds = -Infinity;

  constructor(
    private readonly options: CallbackOptions,
    private readonly counters: Counters,
  ) {
    this.notes = new RecencyMap(options.hosts, () => counters.add('host_compromise.callback.notes_evicted'));
    this.contacts = new RecencyMap(options.hosts, () => counters.add('host_compromise.callback.hosts_evicted'));
    this.reported = new RecencyMap(options.hosts * options.notesPerHost, () => {});
  }

  observe(session: Session): HostCompromiseFinding[] {
    const contact: OutboundContact = {
      sessionId: session.id,
      time: sessionStart(session),
      address: session.server.ip,
      port: session.server.port,
      proto: session.proto,
    };
    this.latestSeconds = Math.max(this.latestSeconds, secondsOf(contact.time));
    const list = this.contacts.getOrCreate(session.client.ip, () => []);
    list.push(contact);
    this.prune(list, (item) => secondsOf(item.time), this.options.contactsPerHost, 'host_compromise.callback.contacts_dropped');
    const findings: HostCompromiseFinding[] = [];
    for (const note of this.notes.peek(session.client.ip) ?? []) {
      const finding = this.match(note, contact);
      if (finding) findings.push(finding);
    }
    return findings;
  }

  noteAttack(note: AttackNote): HostCompromiseFinding[] {
    const list = this.notes.getOrCreate(note.victim, () => []);
    list.push(note);
    this.prune(list, (item) => secondsOf(item.time), this.options.notesPerHost, 'host_compromise.callback.notes_dropped');
    const findings: HostCompromiseFinding[] = [];
    for (const contact of this.contacts.peek(note.victim) ?? []) {
      const finding = this.match(note, contact);
      if (finding) {
        findings.push(finding);
        break;
      }
    }
    return findings;
  }

  private match(note: AttackNote, contact: OutboundContact): HostCompromiseFinding | null {
    if (contact.sessionId === note.sessionId || this.reported.peek(note.sessionId)) return null;
    const delay = secondsOf(contact.time) - secondsOf(note.time);
    if (delay < 0 || delay > this.options.windowSeconds) return null;
    const predicted = (note.predicted ?? []).find(
      (destination) => destination.address === contact.address && destination.proto === contact.proto && (destination.port === 0 || destination.port === contact.port),
    );
    const toAttacker = contact.address === note.attacker && !REFLEX_PORTS[contact.proto].has(contact.port);
    if (!predicted && !toAttacker) return null;
    this.reported.set(note.sessionId, true);
    this.counters.add('host_compromise.callback.findings');
    return {
      type: 'host_compromise',
      hostIp: note.victim,
      timestamp: contact.time,
      attackerIp: note.attacker,
      rule: 'callback',
      evidence: [
        { kind: 'attack', sessionId: note.sessionId, attacker: note.attacker },
        {
          kind: predicted ? 'connection_to_predicted_destination' : 'connection_to_attacker',
          sessionId: contact.sessionId,
          address: contact.address,
          port: contact.port,
          proto: contact.proto,
          delaySeconds: Math.round(delay * 1e6) / 1e6,
        },
      ],
      sessionIds: [note.sessionId, contact.sessionId],
    };
  }

  /** Drops what fell out of the window behind the newest time seen, then the oldest beyond `cap`. */
  private prune<Item>(list: Item[], secondsOfItem: (item: Item) => number, cap: number, counter: string): void {
    const horizon = this.latestSeconds - 2 * this.options.windowSeconds;
    let expired = 0;
    while (expired < list.length && secondsOfItem(list[expired]!) < horizon) expired++;
    if (expired > 0) list.splice(0, expired);
    if (list.length > cap) {
      this.counters.add(counter, list.length - cap);
      list.splice(0, list.length - cap);
    }
  }
}
