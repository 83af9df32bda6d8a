import { z } from 'zod';
import { CrashtestError } from '../core/index.ts';

/**
 * The shape of a dummy profile: one operating system × service pack × application stack, what it
 * listens on, how it looks on the wire, and which public vulnerabilities it has unpatched.
 * It lives here, beside the one config schema, because users will declare profiles of their own
 * (qemu golden images, netns commands) in their configuration and those must be validated at
 * start-up exactly like the built-in catalogue in src/sandbox/profiles/catalogue/.
 */

const proto = z.enum(['tcp', 'udp']);
const port = z.number().int().min(1).max(65_535);

const serviceSchema = z.strictObject({
  proto,
  port,
  /** IANA-style service name; vulnerability rules find their services by it */
  name: z.string().regex(/^[a-z][a-z0-9-]*$/),
  /** what answers there, e.g. "IIS 5.0", "Apache httpd 2.2.22" */
  product: z.string().min(1).optional(),
  /** first line(s) the service sends or its Server header; `{hostname}` stands for the host name */
  banner: z.string().min(1).optional(),
});

const applicationSchema = z.strictObject({
  /** stable short name rules match on: iis, sql-server-2000, msde-2000, apache-httpd, bash, tomcat, log4j, openssl, … */
  name: z.string().regex(/^[a-z][a-z0-9-]*$/),
  version: z.string().min(1),
  servicePack: z.number().int().min(0).optional(),
  /** configuration facts rules depend on, e.g. "cgi" (bash runs CGI scripts), "shared-printer" */
  features: z.array(z.string().min(1)).default([]),
});

const reachedOnSchema = z.strictObject({
  proto,
  /** a port, or 'rpc-dynamic' for the DCE/RPC ports the endpoint mapper hands out */
  port: z.union([port, z.literal('rpc-dynamic')]),
  service: z.string().min(1),
});

const vulnerabilitySchema = z.strictObject({
  /** bulletin id (MS08-067) or, when there is none, the CVE or a class name */
  id: z.string().min(1),
  cves: z.array(z.string().regex(/^CVE-\d{4}-\d{4,}$/)),
  title: z.string().min(1),
  /** the affected component (file, service or library) */
  component: z.string().min(1),
  /** anonymous: any client can reach it; authenticated: the bulletin says a logon is needed */
  access: z.enum(['anonymous', 'authenticated']),
  reachedOn: z.array(reachedOnSchema).min(1),
  note: z.string().min(1).optional(),
});

const fingerprintSchema = z.strictObject({
  /** initial IP TTL class of the stack */
  initialTtl: z.union([z.literal(64), z.literal(128), z.literal(255)]),
  /** TCP windows the stack offers in its SYN/ACK (typical defaults, not exhaustive) */
  tcpWindowSizes: z.array(z.number().int().min(0).max(65_535)).min(1),
  /** TCP option kinds in the order the stack sends them */
  tcpOptionOrder: z.array(z.enum(['mss', 'nop', 'wscale', 'sackOK', 'timestamp', 'eol'])),
  /** SMB dialects the server accepts (SMB1 dialect strings, SMB2 as "2.0.2", "2.1") */
  smbDialects: z.array(z.string().min(1)),
  /** Server headers of its HTTP services */
  httpServerHeaders: z.array(z.string().min(1)),
});

export const profileSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'lower case letters, digits, dots and dashes'),
    /** the catalogue family (one file per family) */
    family: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
    description: z.string().min(1),
    os: z.strictObject({
      kind: z.enum(['windows', 'linux', 'freebsd']),
      /** stable product key rules match on: windows-xp, windows-2008r2, debian, freebsd, … */
      product: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
      name: z.string().min(1),
      version: z.string().min(1),
      servicePack: z.number().int().min(0).optional(),
      /** how the service pack is named when the number alone is not it ("SP6a") */
      servicePackLabel: z.string().min(1).optional(),
      edition: z.string().min(1).optional(),
    }),
    arch: z.enum(['x86', 'x64', 'arm']),
    roles: z.array(z.enum(['workstation', 'server', 'domain-controller', 'embedded'])).min(1),
    applications: z.array(applicationSchema).default([]),
    /** bulletins whose hotfix was installed after the service pack */
    hotfixes: z.array(z.string().min(1)).default([]),
    services: z.array(serviceSchema).min(1),
    /** DCE/RPC dynamic port range of the stack, when it runs an endpoint mapper */
    rpcDynamicPorts: z.strictObject({ first: port, last: port }).optional(),
    fingerprint: fingerprintSchema,
    vulnerabilities: z.array(vulnerabilitySchema),
    notes: z.array(z.string().min(1)).default([]),
  })
  .superRefine((profile, context) => {
    const seen = new Set<string>();
    profile.services.forEach((service, index) => {
      const key = `${service.proto}/${service.port}`;
      if (seen.has(key)) context.addIssue({ code: 'custom', path: ['services', index], message: `${key} is listed twice` });
      seen.add(key);
    });
    profile.vulnerabilities.forEach((vulnerability, index) => {
      vulnerability.reachedOn.forEach((reached, reachedIndex) => {
        const listed =
          reached.port === 'rpc-dynamic' ? profile.rpcDynamicPorts !== undefined : seen.has(`${reached.proto}/${reached.port}`);
        if (!listed) {
          context.addIssue({
            code: 'custom',
            path: ['vulnerabilities', index, 'reachedOn', reachedIndex],
            message: `${vulnerability.id} is reached on ${reached.proto}/${reached.port}, which the profile does not expose`,
          });
        }
      });
    });
    const range = profile.rpcDynamicPorts;
    if (range && range.first > range.last) context.addIssue({ code: 'custom', path: ['rpcDynamicPorts'], message: 'first is above last' });
  });

export type Profile = z.infer<typeof profileSchema>;
export type ProfileInput = z.input<typeof profileSchema>;
export type ProfileService = Profile['services'][number];
export type ProfileApplication = Profile['applications'][number];
export type ProfileVulnerability = Profile['vulnerabilities'][number];
export type ProfileFingerprint = Profile['fingerprint'];

/** Validates one profile; errors name the profile and the key path inside it. */
export function validateProfile(raw: unknown, source = 'profile'): Profile {
  const result = profileSchema.safeParse(raw);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
  throw new CrashtestError('CT_ERR_CONFIG_INVALID', `${source} is invalid:\n${lines.join('\n')}`, {
    key: result.error.issues[0]?.path.map(String).join('.') ?? '',
    issues: result.error.issues.map((issue) => ({ key: issue.path.join('.'), message: issue.message })),
  });
}
