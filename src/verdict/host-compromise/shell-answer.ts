/**
 * Rule 3, shell answers: one side of a TCP connection is a command interpreter. Worms and exploit
 * payloads bind cmd.exe or /bin/sh to a port (Blaster's :4444) or connect one back to the attacker;
 * remote-shell services (telnet, ssh, rsh/rlogin) do the same legitimately and are left out by port.
 * A shell is recognised by the shape of the conversation, not by any command:
 * - cmd.exe: its banner ("Microsoft Windows [Version …]" then "(C) Copyright … Microsoft") with a
 *   `C:\…>` prompt, or a prompt that ends a turn and is followed by a command line the shell answers;
 * - sh: a prompt (`$ `, `# `, `user@host:~$ `, `sh-4.2# `) that ends a turn, followed by an
 *   answered command line;
 * - a prompt-less sh (`nc -e /bin/sh`, the usual reverse shell): the peer speaks first, with a
 *   command line that starts with a shell command word, and the host answers it with output that is
 *   not a line-protocol reply (FTP/SMTP codes, +OK, HTTP). In client-server protocols the party that
 *   speaks first sends a greeting or a request, never `cat /etc/passwd`.
 */
import type { Direction, Session, Timestamp, Turn } from '../../core/index.ts';

export type ShellKind = 'cmd' | 'sh';

export interface ShellAnswer {
  shellSide: 'client' | 'server';
  shell: ShellKind;
  /** what gave it away: banner, prompt, first answered command */
  banner?: string;
  prompt?: string;
  command?: string;
  time: Timestamp;
}

/** Ports of remote-shell services, where a shell is the service: telnet, ssh, rexec/rlogin/rsh, telnets. */
export const REMOTE_SHELL_PORTS: ReadonlySet<number> = new Set([22, 23, 512, 513, 514, 992]);

const TURN_SCAN_LIMIT = 64; // a shell shows itself in its first exchanges
const TEXT_LIMIT = 4096;
const CMD_BANNER = /Microsoft Windows (?:\[Version [\d.]+\]|XP|2000|NT)/;
const CMD_COPYRIGHT = /\(C\) Copyright[^\r\n]{0,80}Microsoft/i;
const CMD_PROMPT = /(?:^|\n)([A-Za-z]:\\[^\r\n<>|"*?]{0,200}>) ?$/;
const SH_PROMPT = /(?:^|\n)((?:[\w.-]{1,32}@[\w.-]{1,64}(?::[^\s$#]{0,128})? ?|(?:ba|da|z|k|a)?sh(?:-[\d.]{1,8})? ?|\[[^\]\n]{1,128}\] ?)?[$#]) ?$/;
const COMMAND_LINE = /^[\x20-\x7e\t]{1,512}\r?\n$/;
const SHELL_COMMAND_WORD =
  /^(?:cat|id|whoami|uname|ls|pwd|cd|wget|curl|echo|exit|ps|netstat|ifconfig|ip|hostname|dir|type|net|ipconfig|tasklist|start|chmod|bash|sh|python3?|perl|nc|tftp|ftp|rm|mkdir|find|env|export|history|systeminfo|powershell|cmd|whoami\.exe|ver|set|head|tail|crontab|sudo|su)(?:\s|$)/;
/** commands only cmd.exe has, to name the shell when there is no prompt to tell */
const WINDOWS_COMMAND_WORD = /^(?:dir|type|ipconfig|tasklist|systeminfo|ver|net|start)(?:\s|$)/i;
const LINE_PROTOCOL_REPLY = /^(?:\d{3}[ -]|\+OK|-ERR|\* (?:OK|BYE)|HTTP\/\d|SSH-)/;

/** The first side of the session that behaves as a shell, or null. Never throws. */
export function findShellAnswer(session: Session): ShellAnswer | null {
  if (session.proto !== 'tcp' || REMOTE_SHELL_PORTS.has(session.server.port)) return null;
  const turns = session.turns.slice(0, TURN_SCAN_LIMIT).filter((turn) => turn.data.length > 0);
  return findShellOn(turns, 'to_client', 'server') ?? findShellOn(turns, 'to_server', 'client');
}

function findShellOn(turns: Turn[], shellDirection: Direction, shellSide: 'client' | 'server'): ShellAnswer | null {
  let banner: string | undefined;
  for (let index = 0; index < turns.length; index++) {
    const turn = turns[index]!;
    if (turn.direction !== shellDirection) continue;
    const text = turn.data.toString('latin1', 0, Math.min(turn.data.length, TEXT_LIMIT));
    banner ??= CMD_BANNER.test(text) && CMD_COPYRIGHT.test(text) ? CMD_BANNER.exec(text)![0] : undefined;
    const tail = text.replace(/\r/g, '');
    const cmdPrompt = CMD_PROMPT.exec(tail)?.[1];
    const shPrompt = cmdPrompt === undefined ? SH_PROMPT.exec(tail)?.[1] : undefined;
    const prompt = cmdPrompt ?? shPrompt;
    if (prompt === undefined) continue;
    const shell: ShellKind = cmdPrompt !== undefined ? 'cmd' : 'sh';
    const time = { seconds: turn.seconds, nanoseconds: turn.nanoseconds };
    if (shell === 'cmd' && banner !== undefined) return { shellSide, shell, banner, prompt, time };
    const command = answeredCommand(turns, index + 1, shellDirection);
    if (command !== null) return { shellSide, shell, prompt, command, time, ...(banner !== undefined ? { banner } : {}) };
  }
  return findPromptlessShell(turns, shellDirection, shellSide);
}

/** The command line the peer sends at `start` when the shell side then answers it, else null. */
function answeredCommand(turns: Turn[], start: number, shellDirection: Direction): string | null {
  const commandTurn = turns[start];
  const answerTurn = turns[start + 1];
  if (!commandTurn || !answerTurn || commandTurn.direction === shellDirection || answerTurn.direction !== shellDirection) return null;
  const line = commandTurn.data.toString('latin1', 0, Math.min(commandTurn.data.length, 600));
  if (!COMMAND_LINE.test(line)) return null;
  const answer = answerTurn.data.toString('latin1', 0, Math.min(answerTurn.data.length, 64));
  return LINE_PROTOCOL_REPLY.test(answer) ? null : line.trim();
}

function findPromptlessShell(turns: Turn[], shellDirection: Direction, shellSide: 'client' | 'server'): ShellAnswer | null {
  const first = turns[0];
  if (!first || first.direction === shellDirection) return null;
  const line = first.data.toString('latin1', 0, Math.min(first.data.length, 600));
  if (!COMMAND_LINE.test(line) || !SHELL_COMMAND_WORD.test(line)) return null;
  const command = answeredCommand(turns, 0, shellDirection);
  if (command === null) return null;
  const answer = turns[1]!;
  const shell: ShellKind = WINDOWS_COMMAND_WORD.test(line) ? 'cmd' : 'sh';
  return { shellSide, shell, command, time: { seconds: answer.seconds, nanoseconds: answer.nanoseconds } };
}
