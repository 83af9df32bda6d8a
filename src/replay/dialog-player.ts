/**
 * Plays the client side of a dialog against a dummy: connect to the port the dummy serves the
 * service on, send each client turn, take the answer, let the adapters learn from the captured
 * server turn and the dummy's answer, and go on until the dialog ends or the dummy closes.
 */
import type { CallOptions, Peer, Victim } from '../sandbox/index.ts';
import { HttpCookieAdapter } from './adapters/http-cookie-adapter.ts';
import type { FieldAdapter } from './adapters/field-adapter.ts';
import { SmbIdAdapter } from './adapters/smb-id-adapter.ts';
import type { Dialog, DialogStep } from './dialog.ts';

export interface PlayOptions extends CallOptions {
  /** the dummy's port for this service (the capture's port may differ) */
  port: number;
  /** who the dummy sees as the client (default: the captured client) */
  peer?: Peer;
  adapters?: FieldAdapter[];
  /** client bytes sent at most (a bounded replay of a huge upload) */
  maxClientBytes?: number;
}

export interface PlayedExchange {
  sent: Uint8Array;
  answered: Uint8Array;
}

export interface PlayResult {
  /** false when nothing listened on the port */
  connected: boolean;
  exchanges: PlayedExchange[];
  /** the dummy closed before the client had sent everything */
  closedEarly: boolean;
  clientBytesSent: number;
  fieldsRewritten: number;
}

export function defaultAdapters(): FieldAdapter[] {
  return [new SmbIdAdapter(), new HttpCookieAdapter()];
}

/** The captured server turns between one client turn and the next, joined. */
function capturedAnswerAfter(steps: DialogStep[], index: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let next = index + 1; next < steps.length && steps[next]!.direction === 'to_client'; next++) parts.push(steps[next]!.data);
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

export async function playDialog(victim: Victim, dialog: Dialog, options: PlayOptions): Promise<PlayResult> {
  const peer = options.peer ?? { address: dialog.client.ip, port: dialog.client.port };
  const adapters = options.adapters ?? defaultAdapters();
  const limit = options.maxClientBytes ?? 16 * 1024 * 1024;
  const result: PlayResult = { connected: false, exchanges: [], closedEarly: false, clientBytesSent: 0, fieldsRewritten: 0 };
  const signalOption = options.signal ? { signal: options.signal } : {};

  if (dialog.proto === 'udp') {
    result.connected = true;
    for (const step of dialog.steps) {
      if (step.direction !== 'to_server' || result.clientBytesSent >= limit) continue;
      const answers = await victim.sendDatagram(options.port, step.data, peer, signalOption);
      result.clientBytesSent += step.data.length;
      result.exchanges.push({ sent: step.data, answered: answers.length === 1 ? answers[0]! : Buffer.concat(answers) });
    }
    return result;
  }

  const connection = await victim.connect(options.port, peer, signalOption);
  if (!connection) return result;
  result.connected = true;
  try {
    const steps = dialog.steps;
    for (let index = 0; index < steps.length; index++) {
      const step = steps[index]!;
      if (step.direction !== 'to_server') continue;
      if (connection.closedByVictim) {
        result.closedEarly = true;
        break;
      }
      if (result.clientBytesSent >= limit) break;
      let bytes = step.data;
      for (const adapter of adapters) bytes = adapter.rewrite(bytes);
      const answered = await connection.send(bytes, signalOption);
      result.clientBytesSent += bytes.length;
      result.exchanges.push({ sent: bytes, answered });
      const captured = capturedAnswerAfter(steps, index);
      if (captured.length > 0 && answered.length > 0) for (const adapter of adapters) adapter.learn(captured, answered);
    }
  } finally {
    await connection.close();
  }
  result.fieldsRewritten = adapters.reduce((sum, adapter) => sum + adapter.rewrites, 0);
  return result;
}
