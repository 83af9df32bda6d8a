import { z } from 'zod';
import { dummiesSchema } from './dummies-schema.ts';

/**
 * The one configuration schema. Defaults carry their unit in the key name; every bounded
 * resource names its overflow policy. Unknown keys are errors (strict objects), so a typo stops
 * start-up with the key path instead of being ignored. Each key's description is what
 * docs/config.md shows (kept equal by a test).
 */

const positiveInt = () => z.number().int().positive();

const decodeSchema = z
  .strictObject({
    fragmentMemcapBytes: positiveInt()
      .default(32 * 1024 * 1024)
      .describe('Bytes of IPv4/IPv6 fragments held while waiting for the rest of their datagram; beyond it new fragments are dropped and counted (decoder.frag_memcap_drop).'),
    fragmentTimeoutMs: positiveInt()
      .default(30_000)
      .describe('How long (capture time) an incomplete datagram waits for its missing fragments (30 s, as Linux ipfrag_time).'),
    maxFragmentsPerDatagram: positiveInt().default(256).describe('Fragments one datagram may have before it is given up (decoder.frag_too_many).'),
    maxEncapsulationDepth: positiveInt().default(4).describe('GRE/ERSPAN/IP-in-IP layers peeled before a packet is counted as encapsulation_too_deep.'),
  })
  .prefault({});

const flowSchema = z
  .strictObject({
    tcpIdleTimeoutMs: positiveInt().default(3_600_000).describe('An established TCP session with no packet for this long (capture time) ends with end_reason timeout (1 h).'),
    tcpEmbryonicTimeoutMs: positiveInt().default(30_000).describe('A TCP session that never carried payload ends after this much silence (30 s): keeps SYN floods cheap.'),
    tcpClosedTimeoutMs: positiveInt().default(5_000).describe('After FIN both ways or RST, late packets are still taken for this long (5 s).'),
    udpIdleTimeoutMs: positiveInt().default(60_000).describe('A UDP pseudo-session with no datagram for this long ends (60 s).'),
    reassemblyDepthBytes: positiveInt()
      .default(16 * 1024 * 1024)
      .describe('Payload bytes kept per session, both directions together; beyond it the session is marked truncated and counted (flow.depth_truncated).'),
    memcapBytes: positiveInt()
      .default(512 * 1024 * 1024)
      .describe('Memory for flow state and buffered payload; when reached, the eviction policy ends sessions early and counts them (flow.memcap_evictions).'),
    maxFlows: positiveInt().default(1_000_000).describe('Sessions tracked at once; when reached, the eviction policy ends one to make room (flow.max_flows_evictions).'),
    evictionPolicy: z.enum(['oldest_idle_first']).default('oldest_idle_first').describe('Which sessions end first when a cap is reached: the one idle longest.'),
    overlapPolicy: z
      .enum(['first', 'last'])
      .default('first')
      .describe('Which copy wins when overlapping TCP segments disagree (first: the bytes already received, as BSD and Windows do; last: the newer bytes). Disagreement is counted as reassembly_overlap_mismatch either way.'),
  })
  .prefault({});

const snmpTargetSchema = z.strictObject({
  name: z.string().min(1).describe('Switch name used in the journal and in rules (e.g. "access-3").'),
  host: z.string().min(1).describe('Switch management address.'),
  port: positiveInt().max(65_535).default(161).describe('SNMP UDP port.'),
  version: z.enum(['2c', '3']).default('3').describe('SNMP version: 2c (community) or 3 (USM authPriv).'),
  community: z.string().default('').describe('v2c community (read and, for enforcement, write).'),
  user: z.string().default('').describe('v3 USM user name.'),
  authProtocol: z.enum(['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512']).default('sha').describe('v3 authentication protocol.'),
  authKey: z.string().default('').describe('v3 authentication pass phrase (at least 8 characters).'),
  privProtocol: z.enum(['des', 'aes', 'aes256b', 'aes256r']).default('aes').describe('v3 privacy protocol.'),
  privKey: z.string().default('').describe('v3 privacy pass phrase (at least 8 characters).'),
  context: z.string().default('').describe('v3 context name (some switches select a VLAN or instance with it).'),
  timeoutMs: positiveInt().default(2_000).describe('Time to wait for one SNMP response.'),
  retries: z.number().int().min(0).default(1).describe('Retransmissions after a timeout.'),
}).superRefine((target, context) => {
  if (target.version === '2c' && target.community === '') context.addIssue({ code: 'custom', path: ['community'], message: 'v2c needs a community' });
  if (target.version === '3') {
    if (target.user === '') context.addIssue({ code: 'custom', path: ['user'], message: 'v3 needs a user' });
    for (const key of ['authKey', 'privKey'] as const) {
      if (target[key].length < 8) context.addIssue({ code: 'custom', path: [key], message: 'v3 authPriv needs a pass phrase of at least 8 characters' });
    }
  }
});

const portPattern = z.string().refine((pattern) => {
  try {
    new RegExp(pattern.replace(/^\(\?i\)/, ''));
    return true;
  } catch {
    return false;
  }
}, 'not a valid regular expression');

const staticPortSchema = z.strictObject({
  mac: z.string().regex(/^[0-9a-fA-F]{2}([:-]?[0-9a-fA-F]{2}){5}$/).describe('MAC address.'),
  switch: z.string().min(1).describe('Switch name.'),
  port: z.string().min(1).describe('Port name (ifName).'),
  ifIndex: z.number().int().min(0).default(0).describe('ifIndex of the port, 0 when unknown.'),
});

const attributionSchema = z
  .strictObject({
    journalPath: z.string().default('crashtest-journal.sqlite').describe('SQLite file of the attribution journal (WAL mode).'),
    retentionDays: positiveInt().default(30).describe('Journal rows older than this many days (capture time) are pruned.'),
    maxJournalBytes: positiveInt()
      .default(1024 * 1024 * 1024)
      .describe('Size bound of the journal; when exceeded the oldest rows are pruned first and counted (attribution.size_pruned).'),
    pollIntervalMs: positiveInt().default(60_000).describe('How often each switch forwarding table is read over SNMP (1 min; tables age out in about 5).'),
    switches: z.array(snmpTargetSchema).default([]).describe('Switches whose forwarding tables map MAC to port.'),
    staticPorts: z.array(staticPortSchema).default([]).describe('Static MAC to port map, used instead of or besides SNMP.'),
  })
  .prefault({});

const respondSchema = z
  .strictObject({
    dryRun: z.boolean().default(true).describe('When true no driver touches anything: rules are recorded and logged as if applied by the dry-run driver.'),
    driver: z.enum(['dry-run', 'snmp', 'webhook', 'command']).default('dry-run').describe('Enforcement driver used when dryRun is false.'),
    minimumLevel: z.enum(['attempted', 'exploited', 'compromised']).default('compromised').describe('Verdict level from which a port is shut.'),
    approvalRequired: z.boolean().default(true).describe('Actions wait in state requested until a person approves them (crashtest respond approve).'),
    ruleTtlSeconds: positiveInt().default(3_600).describe('Every applied rule expires after this long and the port is restored (1 h).'),
    maxActionsPerHour: positiveInt().default(5).describe('At most this many rules are applied in any sliding hour; more are refused with reason rate_limited.'),
    protectedPorts: z
      .array(z.strictObject({ switch: z.string().min(1).describe('Switch name.'), port: z.string().min(1).describe('Port name (ifName).') }))
      .default([])
      .describe('Ports never shut (servers, uplinks, the sensor itself).'),
    protectedPortPatterns: z
      .array(portPattern)
      .default(['(?i)uplink', '(?i)trunk', '^Po', '^Port-channel'])
      .describe('Regular expressions on port names (ifName/ifDescr) that mark uplinks and trunks as protected; (?i) at the start means case-insensitive.'),
    protectMacCountAbove: positiveInt().default(4).describe('A port with more than this many MACs (or MACs in more than one VLAN) is treated as an uplink or trunk and protected.'),
    storePath: z.string().default('crashtest-respond.sqlite').describe('SQLite file of rules and the append-only audit log.'),
    webhookUrl: z.string().default('').describe('Webhook driver: URL that receives the JSON POST.'),
    webhookSecret: z.string().default('').describe('Webhook driver: HMAC-SHA256 key; the signature goes in header X-Crashtest-Signature.'),
    webhookTimeoutMs: positiveInt().default(5_000).describe('Webhook driver: time to wait for the receiver.'),
    commandPath: z.string().default('').describe('Command driver: program run with execFile (no shell).'),
    commandArgs: z
      .array(z.string())
      .default(['{action}', '{switch}', '{port}'])
      .describe('Command driver: arguments; {action} {switch} {port} {ifIndex} {mac} {ip} {ruleId} are replaced.'),
    commandTimeoutMs: positiveInt().default(10_000).describe('Command driver: the program is killed after this long.'),
    expiryCheckIntervalMs: positiveInt().default(5_000).describe('How often the response stage looks for rules whose TTL ran out.'),
  })
  .prefault({});

const poolSchema = z
  .strictObject({
    warmPerProfile: z.number().int().min(0).default(1).describe('Clean emulated dummies kept created ahead for each profile in use, so a lease does not wait for a create (real dummies: dummies.netns and dummies.qemu have their own).'),
    maxVictims: positiveInt().default(32).describe('Emulated dummies alive at once over all profiles (warm, leased, reverting, being created); when all are busy the overflow policy decides. Real dummies have their own bound (dummies.netns.maxVictims, dummies.qemu.maxVictims).'),
    overflowPolicy: z
      .enum(['wait', 'reject'])
      .default('wait')
      .describe('When maxVictims are all busy: wait (queue the lease, counted pool.exhausted_waits) or reject at once with CT_ERR_POOL_EXHAUSTED (pool.exhausted_rejections).'),
    maxWaiters: positiveInt().default(1_000).describe('Leases queued under the wait policy; one more is rejected with CT_ERR_POOL_EXHAUSTED (pool.exhausted_rejections).'),
    waitTimeoutMs: positiveInt().default(60_000).describe('A queued lease gives up after this long with CT_ERR_POOL_EXHAUSTED (pool.wait_timeouts) (1 min).'),
    maxLeasesPerVictim: positiveInt().default(1_000).describe('Leases one dummy serves before it is discarded and replaced instead of reverted (pool.recycled): real machines drift even across snapshot reverts.'),
    dwellMs: z.number().int().min(0).default(600_000).describe('Virtual time a dummy is watched after a delivery when the lease names no dwell of its own (10 min); drivers without virtual time wait it in real time.'),
  })
  .prefault({});

const triageSchema = z
  .strictObject({
    protectedNetworks: z
      .array(z.string().regex(/^[0-9A-Fa-f:.]+(\/\d{1,3})?$/, 'an IPv4 or IPv6 CIDR block such as 10.0.0.0/8 or fc00::/7'))
      .default(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', 'fc00::/7', 'fe80::/10'])
      .describe('CIDR blocks (IPv4 and IPv6) a live sensor protects: only sessions aimed at them are replayed. The default is the private and link-local ranges.'),
    protectEveryReceiver: z
      .boolean()
      .default(false)
      .describe('Treat every host that receives traffic as protected, ignoring protectedNetworks: offline analysis of a capture, which is evidence about its own network whatever its addresses.'),
    queueCapacity: positiveInt().default(10_000).describe('Replay jobs waiting at once; when full the overflow policy drops one and counts it (triage.queue.overflow_dropped).'),
    queueOverflowPolicy: z
      .enum(['drop_lowest_priority'])
      .default('drop_lowest_priority')
      .describe('Which job goes when the queue is full: the lowest-priority one, which may be the newcomer.'),
    droppedLogSize: positiveInt().default(1_000).describe('Dropped jobs kept for the caller to read; older ones are forgotten and counted (triage.queue.dropped_log_overflow).'),
    dedupeCapacity: positiveInt().default(100_000).describe('Payload keys remembered for deduplication; the longest unseen is forgotten first and counted (triage.dedupe.evicted).'),
    shellcodeScanBytes: positiveInt().default(65_536).describe('Client bytes per session searched for attacker code when ranking (64 KiB); the rest is not searched and counted (triage.shellcode.scan_truncated).'),
    scanWindowMs: positiveInt().default(300_000).describe('Capture-time window in which the distinct targets of a source are counted (5 min).'),
    scanThresholdTargets: positiveInt().default(16).describe('Distinct host/port targets within the window from which a source counts as scanning.'),
    scanTrackedSources: positiveInt().default(65_536).describe('Sources whose targets are tracked; the longest unseen is forgotten first and counted (triage.scan_tracker.sources_evicted).'),
    maxSignatures: positiveInt().default(10_000).describe('Learned signatures kept; the oldest is forgotten first and counted (triage.signatures.evicted).'),
    signatureFirstSid: positiveInt().default(1_800_000).describe('Suricata sid of the first learned signature (1 000 000 to 1 999 999 is the local-rules range).'),
    signatureContentMatch: z.boolean().default(true).describe('Flag a payload without replay when it carries a learned signature\'s content pattern, not only when its payload key is one already proven.'),
  })
  .prefault({});

const sensorSchema = z
  .strictObject({
    interfaces: z.array(z.string().min(1)).default([]).describe('Interfaces captured by `crashtest run` (mirror/SPAN ports), one tcpdump each; at least one is needed to run.'),
    bpfFilter: z.string().default('').describe('BPF filter expression applied on every interface (tcpdump syntax); empty takes everything.'),
    snaplenBytes: positiveInt().max(262_144).default(262_144).describe('Bytes kept per packet (tcpdump -s); the default keeps whole frames.'),
    bufferKiB: positiveInt().default(32_768).describe('Kernel capture ring per interface in KiB (tcpdump -B, 32 MiB); a bigger ring rides out bursts before the kernel drops (capture.kernel_dropped).'),
    immediate: z.boolean().default(false).describe('Deliver each packet at once (tcpdump --immediate-mode) instead of in kernel blocks; lower latency, more CPU at high rates.'),
    tcpdumpPath: z.string().min(1).default('tcpdump').describe('The tcpdump program (from PATH by default).'),
    flowSweepIntervalMs: positiveInt().default(1_000).describe('How often idle sessions are ended by wall-clock time when no packet arrives to move capture time on (1 s).'),
    settleMs: z.number().int().min(0).default(2_000).describe('Ended sessions wait this long before analysis, so the follow-up connections of an attack (to the bind shell it opened) are analysed with it (2 s).'),
    queueCapacity: positiveInt().default(10_000).describe('Ended sessions waiting for analysis; when full the overflow policy drops one and counts it (sensor.queue.overflow_dropped).'),
    queueOverflowPolicy: z.enum(['drop_newest']).default('drop_newest').describe('Which session goes when the analysis queue is full: the newcomer (the analysis under way keeps its follow-ups).'),
    statsIntervalMs: positiveInt().default(60_000).describe('How often a stats event (counters, kernel and internal drops) is emitted (1 min).'),
    seriesPoints: positiveInt().default(720).describe('Throughput/queue/drops samples kept for the dashboard, one per stats tick of seriesIntervalMs.'),
    seriesIntervalMs: positiveInt().default(5_000).describe('Sampling interval of the dashboard series (5 s; 720 points = 1 h).'),
    recentEvents: positiveInt().default(1_000).describe('Events kept in memory for the dashboard; older ones are only in the outputs.'),
    evidenceDir: z.string().default('').describe('Directory for per-verdict evidence folders (session pcap, trace, replay bundle); empty writes none.'),
    spoolDir: z
      .string()
      .default('')
      .describe('Where the capture spool (the raw frames the evidence session.pcap is cut from) is written when evidenceDir is set; empty means evidenceDir/.spool.'),
    spoolFileBytes: positiveInt()
      .min(1024 * 1024)
      .default(64 * 1024 * 1024)
      .describe('Size of one capture spool file before the spool moves on to the next (64 MiB).'),
    spoolFiles: positiveInt()
      .min(2)
      .default(8)
      .describe('Spool files kept per interface; beyond it the oldest is deleted and counted (sensor.spool.files_deleted), and a verdict whose frames it held says so in its evidence (sensor.spool.evidence_rotated).'),
    signaturesFile: z.string().default('').describe('Learned signatures file: read at start, written back at shutdown; empty keeps them in memory only.'),
    enforce: z.boolean().default(false).describe('Let the configured enforcement driver act (respond.dryRun must also be false); without it the daemon\'s response stage runs dry.'),
  })
  .prefault({});

const outputsSchema = z
  .strictObject({
    jsonlPath: z.string().default('').describe('JSON lines file every event is appended to (EVE-style); reopened on SIGHUP so logrotate can move it. Empty writes none.'),
    stdout: z.boolean().default(false).describe('Also write every event as a JSON line to standard output.'),
    syslogHost: z.string().default('').describe('Syslog receiver for RFC 5424 messages, one per event; empty sends none.'),
    syslogPort: positiveInt().max(65_535).default(514).describe('Syslog receiver port.'),
    syslogProtocol: z.enum(['udp', 'tcp']).default('udp').describe('udp (one datagram per message, RFC 5426) or tcp (octet counting, RFC 6587).'),
    syslogFacility: z.number().int().min(0).max(23).default(16).describe('Syslog facility number (16 = local0).'),
    syslogAppName: z.string().min(1).max(48).default('crashtest').describe('APP-NAME of the syslog messages.'),
    syslogQueueMessages: positiveInt().default(10_000).describe('Messages held while the TCP receiver is unreachable; beyond it the oldest are dropped and counted (outputs.syslog.dropped).'),
    webhookUrl: z.string().default('').describe('URL receiving a JSON POST per event; empty sends none.'),
    webhookSecret: z.string().default('').describe('HMAC-SHA256 key; the signature of the body goes in header X-Crashtest-Signature (sha256=HEX).'),
    webhookTimeoutMs: positiveInt().default(5_000).describe('Time to wait for the webhook receiver.'),
    webhookEventTypes: z
      .array(z.enum(['verdict', 'host_compromise', 'response', 'stats']))
      .default(['verdict', 'host_compromise', 'response'])
      .describe('Event types posted to the webhook.'),
    webhookQueueEvents: positiveInt().default(1_000).describe('Events waiting to be posted; beyond it the newest are dropped and counted (outputs.webhook.dropped).'),
  })
  .prefault({});

/** shorter bearer tokens are guessable by trying them over a fast loopback (src/web checks the same again before it listens) */
export const WEB_TOKEN_MIN_LENGTH = 16;

const webToken = z
  .string()
  .refine((token) => token === '' || token.length >= WEB_TOKEN_MIN_LENGTH, { error: (issue) => `a bearer token needs at least ${WEB_TOKEN_MIN_LENGTH} characters, found ${String(issue.input).length}` })
  .refine((token) => !/\s/.test(token), 'a bearer token cannot contain white space')
  .default('');

const webSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Serve the dashboard, API and /metrics from the daemon.'),
    listenAddress: z.string().min(1).default('127.0.0.1').describe('Address the dashboard listens on; localhost by default, put a TLS proxy in front to expose it.'),
    port: z.number().int().min(0).max(65_535).default(8470).describe('TCP port of the dashboard and API (0 picks a free one).'),
    adminToken: webToken.describe(
      `Bearer token for everything, including actions that change state (approve, undo); empty disables state changes over HTTP. At least ${WEB_TOKEN_MIN_LENGTH} characters, no white space: shorter ones can be guessed by trying them.`,
    ),
    readOnlyToken: webToken.describe(`Bearer token that can read but change nothing; empty leaves only the admin token. At least ${WEB_TOKEN_MIN_LENGTH} characters and not the admin token.`),
  })
  .superRefine((web, context) => {
    if (typeof web.adminToken === 'string' && web.adminToken !== '' && web.adminToken === web.readOnlyToken) {
      context.addIssue({ code: 'custom', path: ['readOnlyToken'], message: 'the same token as web.adminToken (each role needs its own)' });
    }
  }, { when: (payload) => typeof payload.value === 'object' && payload.value !== null })
  .prefault({});

export const configSchema = z
  .strictObject({
    decode: decodeSchema.describe('Packet decoding: IP fragment reassembly and tunnels.'),
    flow: flowSchema.describe('The flow table and TCP reassembly.'),
    attribution: attributionSchema.describe('The attribution journal (session → MAC → switch port) and the switches it reads.'),
    respond: respondSchema.describe('The response stage: enforcement driver and safety rails (dry run and approval by default).'),
    pool: poolSchema.describe('The dummy pools: warm clones per profile, leases, limits and their overflow policy. Every driver of the farm has its own pool with these settings; netns and qemu take maxVictims and warmPerProfile from their dummies section.'),
    triage: triageSchema.describe('Triage: which sessions are worth a dummy, deduplication, ranking, the replay queue and learned signatures.'),
    sensor: sensorSchema.describe('The live sensor of `crashtest run`: interfaces, capture, the analysis queue and the stats events.'),
    outputs: outputsSchema.describe('Where events go besides the dashboard: a JSON lines file, syslog (RFC 5424) and a webhook.'),
    web: webSchema.describe('The dashboard and HTTP API served by the daemon, and its bearer tokens.'),
    dummies: dummiesSchema.describe(
      "The dummy farm: the emulated catalogue (the default) and real dummies declared here, netns (real Linux services) and qemu (your own golden images), each as a profile plus what its driver runs. Every driver gets its own pool; a lease goes to the pool of the driver that declares the profile. Relative paths are resolved against the config file's folder.",
    ),
  })
  .prefault({});

export type Config = z.infer<typeof configSchema>;
export type DecodeConfig = Config['decode'];
export type FlowConfig = Config['flow'];
export type AttributionConfig = Config['attribution'];
export type RespondConfig = Config['respond'];
export type PoolConfig = Config['pool'];
export type TriageConfig = Config['triage'];
export type SensorConfig = Config['sensor'];
export type OutputsConfig = Config['outputs'];
export type WebConfig = Config['web'];
export type { DummiesConfig, NetnsDummiesConfig, QemuDummiesConfig } from './dummies-schema.ts';
export type SnmpTargetConfig = AttributionConfig['switches'][number];
