/**
 * Where a one-line script in another language connects: the reverse shells of python, perl, php,
 * ruby, lua, node and PowerShell name their peer in a handful of ways, and shell fragments inside
 * them use /dev/tcp. Only the shapes are matched, never particular addresses.
 */
export interface ConnectTarget {
  host: string;
  port: number;
}

const HOST = `["']([^"'\\s]{1,253})["']`;
const PORT = `(\\d{1,5})`;

/** [pattern, whether the port comes before the host] */
const DIRECT_PATTERNS: [RegExp, boolean][] = [
  [new RegExp(`connect\\(\\s*\\(\\s*${HOST}\\s*,\\s*${PORT}\\s*\\)`, 'g'), false], // python socket.connect((h,p))
  [new RegExp(`create_connection\\(\\s*\\(\\s*${HOST}\\s*,\\s*${PORT}`, 'g'), false],
  [new RegExp(`fsockopen\\(\\s*${HOST}\\s*,\\s*${PORT}`, 'g'), false], // php
  [new RegExp(`TCPSocket\\.(?:new|open)\\(\\s*${HOST}\\s*,\\s*${PORT}`, 'g'), false], // ruby
  [new RegExp(`TCPClient\\(\\s*${HOST}\\s*,\\s*${PORT}`, 'gi'), false], // PowerShell, .NET
  [new RegExp(`\\.connect\\(\\s*${PORT}\\s*,\\s*${HOST}`, 'g'), true], // node net.Socket().connect(p, h)
  [new RegExp(`tcp\\.connect\\(\\s*${HOST}\\s*,\\s*["']?${PORT}`, 'g'), false], // lua socket
];

export function scriptConnectTargets(script: string): ConnectTarget[] {
  const targets: ConnectTarget[] = [];
  const add = (host: string, port: number) => {
    if (port > 0 && port < 65_536 && !targets.some((target) => target.host === host && target.port === port)) targets.push({ host, port });
  };
  for (const [pattern, portFirst] of DIRECT_PATTERNS) {
    for (const match of script.matchAll(pattern)) {
      if (portFirst) add(match[2]!, Number(match[1]));
      else add(match[1]!, Number(match[2]));
    }
  }
  for (const match of script.matchAll(/stream_socket_client\(\s*["'](?:tcp|udp):\/\/([^"':]+):(\d{1,5})/g)) add(match[1]!, Number(match[2]));
  for (const match of script.matchAll(/PeerAddr\s*=>\s*["']([^"':]+):(\d{1,5})["']/g)) add(match[1]!, Number(match[2]));
  for (const match of script.matchAll(/\/dev\/(?:tcp|udp)\/([^/\s"']+)\/(\d{1,5})/g)) add(match[1]!, Number(match[2]));
  perlTargets(script, add);
  return targets.slice(0, 8);
}

/** perl's `$i="h";$p=1234;…connect(S,sockaddr_in($p,inet_aton($i)))`: variables resolved */
function perlTargets(script: string, add: (host: string, port: number) => void): void {
  const variables = new Map<string, string>();
  for (const match of script.matchAll(/\$(\w+)\s*=\s*["']?([\w.:-]+)["']?\s*;/g)) variables.set(match[1]!, match[2]!);
  const value = (text: string) => (text.startsWith('$') ? variables.get(text.slice(1)) : text.replace(/^["']|["']$/g, ''));
  for (const match of script.matchAll(/sockaddr_in\(\s*([$\w"']+)\s*,\s*inet_aton\(\s*([$\w."'-]+)\s*\)/g)) {
    const port = Number(value(match[1]!));
    const host = value(match[2]!);
    if (host && Number.isInteger(port)) add(host, port);
  }
}

/** http(s) URLs in a script: what urllib, LWP, file_get_contents or WebClient would fetch */
export function scriptUrls(script: string): string[] {
  return [...new Set([...script.matchAll(/https?:\/\/[^\s"'`)<>;|]+/g)].map((match) => match[0]))].slice(0, 8);
}
