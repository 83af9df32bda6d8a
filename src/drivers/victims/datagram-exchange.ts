/**
 * One datagram to a real dummy (a namespace or a VM) and whatever it answers within a short wait:
 * UDP has no end, so the wait is the answer's boundary.
 */
import type { Socket } from 'node:dgram';
import { abortableDelay } from './abortable-delay.ts';

export async function exchangeDatagram(open: () => Promise<Socket>, address: string, port: number, bytes: Uint8Array, waitMs: number, signal?: AbortSignal): Promise<Uint8Array[]> {
  signal?.throwIfAborted();
  const socket = await open();
  const answers: Uint8Array[] = [];
  socket.on('message', (message) => answers.push(new Uint8Array(message)));
  try {
    socket.send(bytes, port, address);
    await abortableDelay(waitMs, signal);
    return answers;
  } finally {
    socket.close();
  }
}
