import type { ProfileApplicationInput, ProfileDefinition, ProfileServiceInput } from '../profile-definition.ts';
import { windowsProfile, type WindowsProduct } from '../windows-products.ts';

const FAMILY = 'windows-clients';
const CLIENT_NOTE =
  'a client-side dummy: only the browser and its plugins are modelled (the server side plays the pages it fetched); the same system as a server of SMB/RPC is in its own family';

/**
 * The browser as the profile's one "service": it is where hostile bytes enter a workstation that
 * listens on nothing exploitable. The port is the web's, which the browser fetches from; triage
 * finds these profiles by the service name `http-client`, never for inbound traffic.
 */
function browser(product: string): ProfileServiceInput {
  return { proto: 'tcp', port: 80, name: 'http-client', product: `${product} (fetches pages; the server side of its sessions is replayed into it)` };
}

interface ClientOptions {
  id: string;
  product: WindowsProduct;
  servicePack: number;
  arch?: 'x86' | 'x64';
  description: string;
  internetExplorer: string;
  plugins: ProfileApplicationInput[];
}

function windowsClient(options: ClientOptions): ProfileDefinition {
  const base = windowsProfile({
    id: options.id,
    family: FAMILY,
    product: options.product,
    servicePack: options.servicePack,
    arch: options.arch ?? 'x86',
    description: options.description,
    applications: [{ name: 'internet-explorer', version: options.internetExplorer, features: ['activex'] }, ...options.plugins],
    notes: [CLIENT_NOTE],
  });
  // listening services and the RPC range belong to the server-side families
  const { rpcDynamicPorts: _unused, ...rest } = base;
  return { ...rest, roles: ['workstation'], services: [browser(`Internet Explorer ${options.internetExplorer}`)] };
}

const java = (version: string): ProfileApplicationInput => ({ name: 'java-plugin', version, features: ['applets'] });
const flash = (version: string): ProfileApplicationInput => ({ name: 'flash-player', version, features: ['activex'] });
const reader = (version: string): ProfileApplicationInput => ({ name: 'adobe-reader', version, features: ['browser-plugin', 'javascript'] });
const silverlight = (version: string): ProfileApplicationInput => ({ name: 'silverlight', version });

/**
 * Workstations as the exploit kits of 2008–2016 met them: Windows XP with Internet Explorer 6 or 7
 * and the plugins of the day (Java 6, Flash 9/10, Adobe Reader 8/9), Windows 7 with Internet
 * Explorer 8 and later plugins. Versions are real releases; the rules in vulnerability-rules.ts
 * decide from them which public CVEs each profile has.
 */
export const WINDOWS_CLIENTS: readonly ProfileDefinition[] = [
  windowsClient({
    id: 'win-xp-sp2-ie6-client',
    product: 'windows-xp',
    servicePack: 2,
    description: 'Windows XP SP2 workstation: Internet Explorer 6, Java 6 Update 7, Flash 9.0.115, Adobe Reader 8.1.1',
    internetExplorer: '6.0',
    plugins: [java('1.6.0.7'), flash('9.0.115.0'), reader('8.1.1')],
  }),
  windowsClient({
    id: 'win-xp-sp3-ie7-client',
    product: 'windows-xp',
    servicePack: 3,
    description: 'Windows XP SP3 workstation: Internet Explorer 7, Java 6 Update 18, Flash 10.0.22, Adobe Reader 9.1',
    internetExplorer: '7.0',
    plugins: [java('1.6.0.18'), flash('10.0.22.87'), reader('9.1.0')],
  }),
  windowsClient({
    id: 'win-7-sp1-ie8-client',
    product: 'windows-7',
    servicePack: 1,
    description: 'Windows 7 SP1 workstation: Internet Explorer 8, Java 6 Update 30, Flash 16.0.0.287, Silverlight 5.1.10411, Adobe Reader 9.2',
    internetExplorer: '8.0',
    plugins: [java('1.6.0.30'), flash('16.0.0.287'), silverlight('5.1.10411.0'), reader('9.2.0')],
  }),
  windowsClient({
    id: 'win-7-sp1-ie11-client',
    product: 'windows-7',
    servicePack: 1,
    description: 'Windows 7 SP1 workstation of late 2015: Internet Explorer 11, Flash 19.0.0.245',
    internetExplorer: '11.0',
    plugins: [flash('19.0.0.245')],
  }),
];
