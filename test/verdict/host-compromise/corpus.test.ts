/**
 * The detector on the shared corpus, fed our own pipeline's sessions in time order. Rules 2–4 get no
 * attack notes at all. For rule 1 the notes come from a deliberately simple, general stand-in for
 * triage (`heuristicNotes`): the first inbound session whose client bytes hold attacker code by
 * `findShellcode`, or that carries a `${jndi:…}` lookup, whose URL becomes the predicted
 * destination. No address of any capture is written here.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Session } from '../../../src/core/index.ts';
import { findShellcode } from '../../../src/emulator/index.ts';
import { HostCompromiseDetector, type AttackNote, type HostCompromiseFinding, type PredictedDestination } from '../../../src/verdict/host-compromise/index.ts';
import { corpusSessions } from '../../helpers/corpus-sessions.ts';
import { corpusCaptures, skipWithoutCorpus } from '../../helpers/corpus.ts';

const JNDI_URL = /\$\{jndi:(ldaps?|rmi|dns|iiop|corba|nis|nds|http):\/\/([^/:}\s]+)(?::(\d+))?/i;
const JNDI_DEFAULT_PORTS: Record<string, number> = { ldap: 389, ldaps: 636, rmi: 1099, dns: 53, iiop: 900, corba: 900, nis: 0, nds: 0, http: 80 };

function clientBytes(session: Session): Buffer {
  return Buffer.concat(session.turns.filter((turn) => turn.direction === 'to_server').map((turn) => turn.data)).subarray(0, 64 * 1024);
}

function percentDecoded(text: string): string {
  return text.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** The first session that looks like an attack, as a note, or null. */
function heuristicNote(session: Session): AttackNote | null {
  const bytes = clientBytes(session);
  if (bytes.length < 16) return null;
  const base = { sessionId: session.id, attacker: session.client.ip, victim: session.server.ip, time: { seconds: session.startSeconds, nanoseconds: session.startNanoseconds } };
  const jndi = JNDI_URL.exec(percentDecoded(bytes.toString('latin1')));
  if (jndi) {
    const scheme = jndi[1]!.toLowerCase();
    const address = jndi[2]!;
    const predicted: PredictedDestination[] = /^[\d.]+$/.test(address)
      ? [{ address, port: jndi[3] ? Number(jndi[3]) : JNDI_DEFAULT_PORTS[scheme]!, proto: scheme === 'dns' ? 'udp' : 'tcp' }]
      : [];
    return { ...base, predicted };
  }
  return bytes.length >= 64 && findShellcode(bytes, { maxCandidates: 1 }).length > 0 ? base : null;
}

async function analyse(capture: string, withNotes: boolean): Promise<HostCompromiseFinding[]> {
  const detector = new HostCompromiseDetector();
  const findings: HostCompromiseFinding[] = [];
  let noted = false;
  for (const session of await corpusSessions(capture)) {
    findings.push(...detector.observe(session));
    if (!withNotes || noted) continue;
    const note = heuristicNote(session);
    if (note) {
      noted = true;
      findings.push(...detector.noteAttack(note));
    }
  }
  assert.deepEqual(Object.keys(detector.counters.snapshot('host_compromise')).filter((name) => name.endsWith('rule_errors')), [], `${capture}: a rule threw`);
  return findings;
}

function summary(findings: HostCompromiseFinding[]): string[] {
  return findings.map((finding) => `${finding.rule} ${finding.hostIp}`).sort();
}

const skip = skipWithoutCorpus();

test('corpus callback: ms09-050 victim calls the attacker back on :4444', { skip }, async () => {
  const findings = (await analyse('ms09-050-smb2-negotiate-meterpreter.pcap', true)).filter((finding) => finding.rule === 'callback');
  assert.deepEqual(summary(findings), ['callback 192.168.3.12']);
  assert.equal(findings[0]!.attackerIp, '192.168.3.205');
  const connection = findings[0]!.evidence.find((item) => item.kind === 'connection_to_attacker');
  assert.equal(connection?.port, 4444);
});

for (const capture of ['cve-2021-44228-log4shell-useragent-revshell.pcap', 'cve-2021-44228-log4shell-login-revshell.pcap']) {
  test(`corpus callback: ${capture} victim contacts the LDAP server its JNDI URL names`, { skip }, async () => {
    const findings = await analyse(capture, true);
    const callback = findings.find((finding) => finding.rule === 'callback');
    assert.equal(callback?.hostIp, '172.16.238.10');
    const connection = callback?.evidence.find((item) => item.kind === 'connection_to_predicted_destination');
    assert.deepEqual([connection?.address, connection?.port], ['172.16.238.11', 1389]);
    // the reverse shell that follows is seen on its own too
    assert.ok(findings.some((finding) => finding.rule === 'shell_answer' && finding.hostIp === '172.16.238.10'));
  });
}

test('corpus backdoor answer: the DoublePulsar ping is answered by 192.168.198.203 (no notes)', { skip }, async () => {
  const findings = await analyse('ms17-010-doublepulsar-ping-infected-win7.pcap', false);
  assert.deepEqual(summary(findings), ['backdoor_answer 192.168.198.203']);
  assert.deepEqual([findings[0]!.evidence[0]!.requestMid, findings[0]!.evidence[0]!.answerMid], [65, 81]);
});

test('corpus backdoor answer: after ETERNALBLUE the final implant check is answered (MID 66 → 82)', { skip }, async () => {
  const findings = await analyse('ms17-010-eternalblue-success-win7.pcap', false);
  assert.deepEqual(summary(findings), ['backdoor_answer 192.168.198.203']);
  assert.deepEqual([findings[0]!.evidence[0]!.requestMid, findings[0]!.evidence[0]!.answerMid], [66, 82]);
});

test('corpus shell answers: Blaster bind shell on 10.234.2.116:4444 (no notes)', { skip }, async () => {
  const findings = await analyse('blaster-msblast-shell-4444.pcap', false);
  assert.deepEqual(summary(findings), ['shell_answer 10.234.2.116']);
  assert.equal(findings[0]!.evidence[0]!.port, 4444);
  assert.equal(findings[0]!.evidence[0]!.shell, 'cmd');
});

test('corpus download then check-in: the CryptoWall drive-by victim 192.168.122.145 (no notes)', { skip }, async () => {
  const findings = await analyse('ek-to-cryptowall4-driveby.pcapng', false);
  assert.deepEqual(summary(findings), ['download_then_checkin 192.168.122.145']);
  // reported at the first check-in, the moment the chain is complete
  assert.deepEqual(findings[0]!.evidence.map((item) => item.kind), ['exploit_page', 'executable_download', 'checkin_to_new_destination']);
  assert.equal(findings[0]!.evidence[1]!.format, 'opaque_binary', 'the kit encrypts its payload: no MZ on the wire');
  assert.equal(findings[0]!.evidence[2]!.method, 'POST');
});

test('corpus download then check-in: honeynet clients 10.0.3.15 and 10.0.4.15, not 10.0.2.15 or 10.0.5.15', { skip }, async () => {
  const findings = await analyse('honeynet-browsers-under-attack-ek.pcap', false);
  assert.deepEqual(summary(findings), ['download_then_checkin 10.0.3.15', 'download_then_checkin 10.0.4.15']);
  for (const finding of findings) assert.equal(finding.evidence[1]!.format, 'pe');
});

const QUIET = [
  'ssh-password-guessing.pcap',
  'ftp-bruteforce.pcap',
  'nmap-version-scan.pcap',
  'dvwa-sqli-lamp.pcapng',
  'psexec-smb2-add-user.pcap',
  'sadmind-portmap-recon-darpa2000.pcap',
  'internet-host-2004-worm-background.pcap',
  'ms17-010-eternalromance-success-2008r2.pcap',
  'cve-2007-1868-tivoli-auth-overflow.pcap',
  'cve-2020-0796-smbghost-check.pcap',
];

test('corpus quiet: benign captures and non-infections give no host_compromise, with or without notes', { skip }, async () => {
  const benign = corpusCaptures()
    .map((path) => path.slice(path.lastIndexOf('/') + 1))
    .filter((name) => name.startsWith('benign-'));
  assert.ok(benign.length >= 4);
  for (const capture of [...benign, ...QUIET]) {
    for (const withNotes of [false, true]) {
      assert.deepEqual(summary(await analyse(capture, withNotes)), [], `${capture} (${withNotes ? 'with' : 'without'} notes)`);
    }
  }
});
