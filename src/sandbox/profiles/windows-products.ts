import type { ProfileApplicationInput, ProfileDefinition, ProfileServiceInput } from './profile-definition.ts';

/**
 * What every Windows host of one product shares: names, builds per service pack, the stack's
 * fingerprint and the services a default install listens on. Catalogue files build their profiles
 * with `windowsProfile`, adding roles, applications and hotfixes.
 */

export type WindowsProduct =
  | 'windows-nt4'
  | 'windows-2000'
  | 'windows-xp'
  | 'windows-2003'
  | 'windows-vista'
  | 'windows-2008'
  | 'windows-7'
  | 'windows-2008r2';

interface WindowsProductFacts {
  name: string;
  /** NT version, e.g. "5.1" */
  ntVersion: string;
  /** build number per service pack */
  builds: Record<number, number>;
  edition: string;
  /** IIS version that ships with the product */
  iisVersion: string;
  smbDialects: readonly string[];
  tcpWindowSizes: readonly number[];
  tcpOptionOrder: readonly ('mss' | 'nop' | 'wscale' | 'sackOK' | 'timestamp')[];
  rpcDynamicPorts: { first: number; last: number };
  /** a listening port from the dynamic range that a default install always has open */
  firstDynamicPort: number | null;
  smb2: boolean;
  server: boolean;
}

/** SMB1 dialect strings Windows NT 4.0 through 2008 R2 accept in a Negotiate request */
const SMB1_DIALECTS = ['PC NETWORK PROGRAM 1.0', 'LANMAN1.0', 'Windows for Workgroups 3.1a', 'LM1.2X002', 'LANMAN2.1', 'NT LM 0.12'];
// Typical SYN/ACK parameters (p0f-style signatures); narrowing treats them as hints, not proof.
const NT5_WINDOWS = [64240, 65535, 16616, 17520];
const NT5_OPTIONS = ['mss', 'nop', 'nop', 'sackOK'] as const;
const NT6_WINDOWS = [8192];
const NT6_OPTIONS = ['mss', 'nop', 'wscale', 'nop', 'nop', 'sackOK'] as const;
const LEGACY_RPC_RANGE = { first: 1025, last: 5000 };
const NT6_RPC_RANGE = { first: 49152, last: 65535 };

export const WINDOWS_PRODUCTS: Record<WindowsProduct, WindowsProductFacts> = {
  'windows-nt4': {
    name: 'Windows NT Server 4.0', ntVersion: '4.0', builds: { 6: 1381 }, edition: 'Server', iisVersion: '4.0',
    smbDialects: SMB1_DIALECTS, tcpWindowSizes: [8760, 64512], tcpOptionOrder: ['mss'],
    rpcDynamicPorts: LEGACY_RPC_RANGE, firstDynamicPort: null, smb2: false, server: true,
  },
  'windows-2000': {
    name: 'Windows 2000 Server', ntVersion: '5.0', builds: { 0: 2195, 1: 2195, 2: 2195, 3: 2195, 4: 2195 }, edition: 'Server', iisVersion: '5.0',
    smbDialects: SMB1_DIALECTS, tcpWindowSizes: NT5_WINDOWS, tcpOptionOrder: NT5_OPTIONS,
    rpcDynamicPorts: LEGACY_RPC_RANGE, firstDynamicPort: 1025, smb2: false, server: true,
  },
  'windows-xp': {
    name: 'Windows XP Professional', ntVersion: '5.1', builds: { 0: 2600, 1: 2600, 2: 2600, 3: 2600 }, edition: 'Professional', iisVersion: '5.1',
    smbDialects: SMB1_DIALECTS, tcpWindowSizes: NT5_WINDOWS, tcpOptionOrder: NT5_OPTIONS,
    rpcDynamicPorts: LEGACY_RPC_RANGE, firstDynamicPort: 1025, smb2: false, server: false,
  },
  'windows-2003': {
    name: 'Windows Server 2003', ntVersion: '5.2', builds: { 0: 3790, 1: 3790, 2: 3790 }, edition: 'Standard', iisVersion: '6.0',
    smbDialects: SMB1_DIALECTS, tcpWindowSizes: [16384, 64240, 65535], tcpOptionOrder: NT5_OPTIONS,
    rpcDynamicPorts: LEGACY_RPC_RANGE, firstDynamicPort: 1025, smb2: false, server: true,
  },
  'windows-vista': {
    name: 'Windows Vista', ntVersion: '6.0', builds: { 0: 6000, 1: 6001, 2: 6002 }, edition: 'Business', iisVersion: '7.0',
    smbDialects: [...SMB1_DIALECTS, '2.0.2'], tcpWindowSizes: NT6_WINDOWS, tcpOptionOrder: NT6_OPTIONS,
    rpcDynamicPorts: NT6_RPC_RANGE, firstDynamicPort: 49152, smb2: true, server: false,
  },
  'windows-2008': {
    name: 'Windows Server 2008', ntVersion: '6.0', builds: { 1: 6001, 2: 6002 }, edition: 'Standard', iisVersion: '7.0',
    smbDialects: [...SMB1_DIALECTS, '2.0.2'], tcpWindowSizes: NT6_WINDOWS, tcpOptionOrder: NT6_OPTIONS,
    rpcDynamicPorts: NT6_RPC_RANGE, firstDynamicPort: 49152, smb2: true, server: true,
  },
  'windows-7': {
    name: 'Windows 7', ntVersion: '6.1', builds: { 0: 7600, 1: 7601 }, edition: 'Professional', iisVersion: '7.5',
    smbDialects: [...SMB1_DIALECTS, '2.0.2', '2.1'], tcpWindowSizes: NT6_WINDOWS, tcpOptionOrder: NT6_OPTIONS,
    rpcDynamicPorts: NT6_RPC_RANGE, firstDynamicPort: 49152, smb2: true, server: false,
  },
  'windows-2008r2': {
    name: 'Windows Server 2008 R2', ntVersion: '6.1', builds: { 0: 7600, 1: 7601 }, edition: 'Standard', iisVersion: '7.5',
    smbDialects: [...SMB1_DIALECTS, '2.0.2', '2.1'], tcpWindowSizes: NT6_WINDOWS, tcpOptionOrder: NT6_OPTIONS,
    rpcDynamicPorts: NT6_RPC_RANGE, firstDynamicPort: 49152, smb2: true, server: true,
  },
};

export const WINDOWS_PRODUCT_NAMES: Record<WindowsProduct, string> = Object.fromEntries(
  Object.entries(WINDOWS_PRODUCTS).map(([product, facts]) => [product, facts.name]),
) as Record<WindowsProduct, string>;

export interface WindowsProfileOptions {
  id: string;
  family: string;
  product: WindowsProduct;
  servicePack: number;
  servicePackLabel?: string;
  arch: 'x86' | 'x64';
  description: string;
  domainController?: boolean;
  applications?: ProfileApplicationInput[];
  hotfixes?: string[];
  services?: ProfileServiceInput[];
  notes?: string[];
}

const DC_SERVICES: ProfileServiceInput[] = [
  { proto: 'tcp', port: 53, name: 'domain', product: 'Microsoft DNS' },
  { proto: 'udp', port: 53, name: 'domain', product: 'Microsoft DNS' },
  { proto: 'tcp', port: 88, name: 'kerberos', product: 'Microsoft Kerberos KDC' },
  { proto: 'udp', port: 88, name: 'kerberos', product: 'Microsoft Kerberos KDC' },
  { proto: 'tcp', port: 389, name: 'ldap', product: 'Active Directory LDAP' },
  { proto: 'udp', port: 389, name: 'ldap', product: 'Active Directory CLDAP' },
  { proto: 'tcp', port: 464, name: 'kpasswd', product: 'Microsoft Kerberos password change' },
  { proto: 'tcp', port: 636, name: 'ldaps', product: 'Active Directory LDAP over TLS' },
  { proto: 'tcp', port: 3268, name: 'globalcat', product: 'Active Directory Global Catalog' },
];

export function windowsProfile(options: WindowsProfileOptions): ProfileDefinition {
  const facts = WINDOWS_PRODUCTS[options.product];
  const build = facts.builds[options.servicePack];
  if (build === undefined) throw new Error(`${options.id}: ${facts.name} has no service pack ${options.servicePack}`);
  const dc = options.domainController === true;
  const roles: ProfileDefinition['roles'] = [facts.server ? 'server' : 'workstation'];
  if (dc) roles.push('domain-controller');
  return {
    id: options.id,
    family: options.family,
    description: options.description,
    os: {
      kind: 'windows',
      product: options.product,
      name: facts.name,
      version: `${facts.ntVersion}.${build}`,
      servicePack: options.servicePack,
      ...(options.servicePackLabel ? { servicePackLabel: options.servicePackLabel } : {}),
      edition: dc ? 'Enterprise' : facts.edition,
    },
    arch: options.arch,
    roles,
    applications: options.applications ?? [],
    hotfixes: options.hotfixes ?? [],
    services: [...baseServices(facts), ...(dc ? DC_SERVICES : []), ...(options.services ?? [])],
    rpcDynamicPorts: facts.rpcDynamicPorts,
    fingerprint: {
      initialTtl: 128,
      tcpWindowSizes: [...facts.tcpWindowSizes],
      tcpOptionOrder: [...facts.tcpOptionOrder],
      smbDialects: [...facts.smbDialects],
    },
    notes: options.notes ?? [],
  };
}

function baseServices(facts: WindowsProductFacts): ProfileServiceInput[] {
  const services: ProfileServiceInput[] = [
    { proto: 'tcp', port: 135, name: 'msrpc', product: 'RPCSS endpoint mapper' },
    { proto: 'udp', port: 137, name: 'netbios-ns', product: 'NetBIOS name service' },
    { proto: 'udp', port: 138, name: 'netbios-dgm', product: 'NetBIOS datagram service' },
    { proto: 'tcp', port: 139, name: 'netbios-ssn', product: facts.smb2 ? 'SMB1/SMB2 over NetBIOS session' : 'SMB1 over NetBIOS session' },
  ];
  // NT 4.0 predates SMB directly over TCP (port 445 arrived with Windows 2000)
  if (facts.ntVersion !== '4.0') services.push({ proto: 'tcp', port: 445, name: 'microsoft-ds', product: facts.smb2 ? 'SMB1/SMB2 (srv.sys, srv2.sys)' : 'SMB1 (srv.sys)' });
  if (facts.firstDynamicPort !== null) services.push({ proto: 'tcp', port: facts.firstDynamicPort, name: 'msrpc-dynamic', product: 'DCE/RPC endpoint from the dynamic range' });
  return services;
}

/** IIS as an application plus its HTTP (and, before IIS 7, FTP) services */
export function iis(product: WindowsProduct, servicePack?: number): { application: ProfileApplicationInput; services: ProfileServiceInput[] } {
  const version = WINDOWS_PRODUCTS[product].iisVersion;
  const ftpBanner = Number(version) < 6 ? `220 {hostname} Microsoft FTP Service (Version ${version}).` : '220 Microsoft FTP Service';
  return {
    application: { name: 'iis', version, ...(servicePack === undefined ? {} : { servicePack }), features: Number(version) < 6 ? ['idq-isapi-mapping'] : [] },
    services: [
      { proto: 'tcp', port: 80, name: 'http', product: `IIS ${version}`, banner: `Microsoft-IIS/${version}` },
      { proto: 'tcp', port: 21, name: 'ftp', product: `IIS ${version} FTP`, banner: ftpBanner },
    ],
  };
}

/** SQL Server 2000 build numbers per service pack (SELECT @@VERSION) */
const SQL_2000_BUILDS: Record<number, string> = { 0: '8.00.194', 1: '8.00.384', 2: '8.00.534', 3: '8.00.760', 4: '8.00.2039' };

/** SQL Server 2000 or MSDE 2000 at a service pack, with its TDS and resolution services */
export function sqlServer2000(edition: 'sql-server-2000' | 'msde-2000', servicePack: number): { application: ProfileApplicationInput; services: ProfileServiceInput[] } {
  const label = edition === 'msde-2000' ? 'MSDE 2000' : 'SQL Server 2000';
  return {
    application: { name: edition, version: SQL_2000_BUILDS[servicePack]!, servicePack },
    services: [
      { proto: 'tcp', port: 1433, name: 'ms-sql-s', product: `${label} SP${servicePack} (TDS)` },
      { proto: 'udp', port: 1434, name: 'ms-sql-m', product: `${label} SP${servicePack} resolution service (ssnetlib.dll)` },
    ],
  };
}
