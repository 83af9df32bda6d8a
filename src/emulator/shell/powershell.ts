/**
 * PowerShell as droppers use it: `-enc` (base64 of UTF-16LE), `IEX (New-Object Net.WebClient)
 * .DownloadString('…')`, DownloadFile, Invoke-WebRequest/iwr/wget/curl aliases with -OutFile,
 * Start-BitsTransfer, TCPClient reverse shells. Downloaded text that is run (IEX) is read as
 * PowerShell again, within the depth limit.
 */
import { parseHttpUrl, urlFileName } from '../services/http/http-url.ts';
import type { CommandInvocation } from './command-invocation.ts';
import { succeeded, type CommandOutput } from './command-output.ts';
import { connectTcp, httpDownload } from './network-actions.ts';
import { scriptConnectTargets } from './script-connect-targets.ts';

const USER_AGENT = 'Mozilla/5.0 (Windows NT; Windows NT 6.1; en-US) WindowsPowerShell/5.1.14409.1005';
const MAX_FETCHES = 8;

export function powershell(invocation: CommandInvocation): CommandOutput {
  const script = powershellScript(invocation.argv.slice(1), invocation.stdin);
  runPowershellScript(invocation, script, 0);
  return succeeded();
}

/** the script a powershell command line carries: -EncodedCommand decoded, -Command and the rest joined */
export function powershellScript(argv: string[], stdin: string): string {
  for (let index = 0; index < argv.length; index++) {
    if (/^[-/]e(nc(odedcommand)?|c)?$/i.test(argv[index]!) && argv[index + 1]) return decodeEncodedCommand(argv[index + 1]!);
  }
  const commandIndex = argv.findIndex((argument) => /^[-/]c(ommand)?$/i.test(argument));
  const rest = commandIndex >= 0 ? argv.slice(commandIndex + 1) : argv.filter((argument, index) => !argument.startsWith('-') || index > 0);
  const text = rest.filter((argument) => !/^-(nop|noprofile|w(indowstyle)?|hidden|noni|noninteractive|ep|exec(utionpolicy)?|bypass|sta)$/i.test(argument) && !/^(hidden|bypass)$/i.test(argument)).join(' ');
  return text === '-' ? stdin : text;
}

function decodeEncodedCommand(base64: string): string {
  const bytes = Buffer.from(base64, 'base64');
  return bytes.toString('utf16le');
}

function runPowershellScript(invocation: CommandInvocation, script: string, depth: number): void {
  const { run } = invocation;
  if (depth > run.limits.maxDepth || !run.takeCommand()) return;
  let fetches = 0;
  const unquote = (text: string) => text.replace(/^['"(]+|['")]+$/g, '');
  for (const match of script.matchAll(/\.Download(String|File|Data)\(\s*(['"][^'"]+['"])\s*(?:,\s*(['"][^'"]+['"]))?/gi)) {
    if (fetches++ >= MAX_FETCHES) break;
    const url = unquote(match[2]!);
    const result = httpDownload(run, url, USER_AGENT);
    if (match[1]!.toLowerCase() === 'file') {
      const parsed = parseHttpUrl(url);
      if (result.status !== null && parsed) run.writeFile(match[3] ? unquote(match[3]) : urlFileName(parsed), result.body);
    } else if (result.status !== null && /\b(iex|invoke-expression)\b/i.test(script)) {
      runPowershellScript(invocation, new TextDecoder('utf-8').decode(result.body.subarray(0, 65_536)), depth + 1);
    }
  }
  for (const match of script.matchAll(/\b(?:Invoke-WebRequest|iwr|wget|curl|Invoke-RestMethod|irm|Start-BitsTransfer)\b([^;|\n]*)/gi)) {
    if (fetches++ >= MAX_FETCHES) break;
    const url = /(?:https?:\/\/)[^\s'"]+/i.exec(match[1]!)?.[0];
    if (!url) continue;
    const result = httpDownload(run, url, USER_AGENT);
    const outFile = /-(?:OutFile|Destination)\s+['"]?([^\s'";]+)/i.exec(match[1]!)?.[1];
    if (outFile && result.status !== null) run.writeFile(outFile, result.body);
  }
  for (const target of scriptConnectTargets(script)) connectTcp(run, target.host, target.port);
}
