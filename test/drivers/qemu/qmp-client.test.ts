/**
 * The QMP client against a fake QMP server on a unix socket in a temp folder: greeting and
 * negotiation, answers matched by id (even out of order), events, QMP errors as CT_ERR_QMP_COMMAND,
 * protocol garbage as CT_ERR_QMP_PROTOCOL, QEMU going away as CT_ERR_QMP_CLOSED, abort, close/destroy.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isCrashtestError } from '../../../src/core/index.ts';
import { QmpClient } from '../../../src/drivers/victims/qemu/qmp-client.ts';

const GREETING = { QMP: { version: { qemu: { major: 7, minor: 2, micro: 22 }, package: 'fake' }, capabilities: ['oob'] } };

interface Command {
  execute: string;
  arguments?: Record<string, unknown>;
  id: unknown;
}

type Handler = (command: Command, socket: Socket) => void;

const directory = mkdtempSync(join(tmpdir(), 'crashtest-qmp-test-'));
after(() => rmSync(directory, { recursive: true, force: true }));
let serial = 0;

/** A QMP server that greets (or sends `greeting` verbatim), accepts qmp_capabilities, and hands every other command to `handler`. */
async function fakeQmp(handler: Handler, greeting: string = `${JSON.stringify(GREETING)}\r\n`): Promise<{ path: string; server: Server; sockets: Set<Socket>; close(): Promise<void> }> {
  const path = join(directory, `qmp-${serial++}.sock`);
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.write(greeting);
    let text = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n')) {
        const command = JSON.parse(text.slice(0, newline)) as Command;
        text = text.slice(newline + 1);
        if (command.execute === 'qmp_capabilities') socket.write(`${JSON.stringify({ return: {}, id: command.id })}\r\n`);
        else handler(command, socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    path,
    server,
    sockets,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const reply = (socket: Socket, message: Record<string, unknown>): void => {
  socket.write(`${JSON.stringify(message)}\r\n`);
};

describe('QmpClient', () => {
  it('reads the greeting, negotiates, and resolves commands with their return value', async () => {
    const fake = await fakeQmp((command, socket) => {
      if (command.execute === 'query-status') reply(socket, { return: { status: 'running', running: true }, id: command.id });
    });
    const client = await QmpClient.connect(fake.path);
    assert.equal(client.greeting.version.qemu.major, 7);
    assert.deepEqual(await client.execute('query-status'), { status: 'running', running: true });
    await client.close();
    assert.equal(client.closed, true);
    await client.close();
    client.destroy();
    await assert.rejects(client.execute('query-status'), (error: unknown) => isCrashtestError(error, 'CT_ERR_INVALID_STATE'));
    await fake.close();
  });

  it('matches answers to commands by id even when they come back out of order', async () => {
    const held: Command[] = [];
    const fake = await fakeQmp((command, socket) => {
      held.push(command);
      if (held.length === 2) for (const waiting of held.reverse()) reply(socket, { return: waiting.arguments?.['value'], id: waiting.id });
    });
    const client = await QmpClient.connect(fake.path);
    const [first, second] = await Promise.all([client.execute('echo', { value: 'first' }), client.execute('echo', { value: 'second' })]);
    assert.equal(first, 'first');
    assert.equal(second, 'second');
    client.destroy();
    await fake.close();
  });

  it('passes arguments, and runs human monitor commands', async () => {
    const fake = await fakeQmp((command, socket) => {
      assert.equal(command.execute, 'human-monitor-command');
      reply(socket, { return: `ran ${String(command.arguments?.['command-line'])}\r\n`, id: command.id });
    });
    const client = await QmpClient.connect(fake.path);
    assert.equal(await client.human('loadvm clean'), 'ran loadvm clean\r\n');
    client.destroy();
    await fake.close();
  });

  it('maps a QMP error answer to CT_ERR_QMP_COMMAND with its class and description', async () => {
    const fake = await fakeQmp((command, socket) => reply(socket, { error: { class: 'GenericError', desc: 'Device not found' }, id: command.id }));
    const client = await QmpClient.connect(fake.path);
    await assert.rejects(client.execute('device_del', { id: 'nic0' }), (error: unknown) => {
      assert.ok(isCrashtestError(error, 'CT_ERR_QMP_COMMAND'));
      assert.match(error.message, /device_del failed: GenericError: Device not found/);
      assert.equal(error.details['qmpClass'], 'GenericError');
      return true;
    });
    // the connection stays usable after a command error
    assert.equal(client.closed, false);
    client.destroy();
    await fake.close();
  });

  it('delivers events to onEvent and to waitForEvent, between answers', async () => {
    const fake = await fakeQmp((command, socket) => {
      reply(socket, { event: 'STOP', data: {}, timestamp: { seconds: 1, microseconds: 2 } });
      reply(socket, { return: {}, id: command.id });
      reply(socket, { event: 'RESUME', data: {}, timestamp: { seconds: 1, microseconds: 3 } });
    });
    const client = await QmpClient.connect(fake.path);
    const seen: string[] = [];
    client.onEvent = (event) => seen.push(event.event);
    const resumed = client.waitForEvent('RESUME');
    await client.execute('cont');
    const event = await resumed;
    assert.equal(event.event, 'RESUME');
    assert.deepEqual(event.timestamp, { seconds: 1, microseconds: 3 });
    assert.deepEqual(seen, ['STOP', 'RESUME']);
    client.destroy();
    await fake.close();
  });

  it('rejects a pending command with CT_ERR_QMP_CLOSED when QEMU goes away, and tells onClose', async () => {
    const fake = await fakeQmp((_command, socket) => socket.destroy());
    const client = await QmpClient.connect(fake.path);
    let closedWith: Error | null | undefined;
    client.onClose = (error) => {
      closedWith = error;
    };
    const waiting = client.waitForEvent('SHUTDOWN');
    await assert.rejects(client.execute('quit'), (error: unknown) => isCrashtestError(error, 'CT_ERR_QMP_CLOSED'));
    await assert.rejects(waiting, (error: unknown) => isCrashtestError(error, 'CT_ERR_QMP_CLOSED'));
    assert.equal(client.closed, true);
    assert.equal(closedWith, null);
    await fake.close();
  });

  it('refuses a server that does not greet with QMP (CT_ERR_QMP_PROTOCOL)', async () => {
    const fake = await fakeQmp(() => {}, 'SSH-2.0-OpenSSH_9.2\r\n');
    await assert.rejects(QmpClient.connect(fake.path), (error: unknown) => isCrashtestError(error, 'CT_ERR_QMP_PROTOCOL'));
    await fake.close();
  });

  it('ends the connection with CT_ERR_QMP_PROTOCOL when a line is not JSON', async () => {
    const fake = await fakeQmp((_command, socket) => socket.write('this is not json\r\n'));
    const client = await QmpClient.connect(fake.path);
    await assert.rejects(client.execute('query-status'), (error: unknown) => {
      assert.ok(isCrashtestError(error, 'CT_ERR_QMP_CLOSED'));
      assert.ok(isCrashtestError((error as Error).cause, 'CT_ERR_QMP_PROTOCOL'));
      return true;
    });
    await fake.close();
  });

  it('a socket nobody listens on is CT_ERR_QMP_CLOSED', async () => {
    await assert.rejects(QmpClient.connect(join(directory, 'nobody.sock')), (error: unknown) => isCrashtestError(error, 'CT_ERR_QMP_CLOSED'));
  });

  it('an aborted command rejects with the signal reason, and its late answer is dropped', async () => {
    let answerLater: () => void = () => {};
    let received: () => void = () => {};
    const slowArrived = new Promise<void>((resolve) => {
      received = resolve;
    });
    const fake = await fakeQmp((command, socket) => {
      if (command.execute === 'slow') {
        answerLater = () => reply(socket, { return: 'late', id: command.id });
        received();
      } else {
        reply(socket, { return: 'fast', id: command.id });
      }
    });
    const client = await QmpClient.connect(fake.path);
    const controller = new AbortController();
    const reason = new Error('test: aborted');
    const slow = client.execute('slow', undefined, { signal: controller.signal });
    await slowArrived;
    controller.abort(reason);
    await assert.rejects(slow, (error: unknown) => error === reason);
    answerLater();
    assert.equal(await client.execute('fast'), 'fast');
    await assert.rejects(client.execute('fast', undefined, { signal: controller.signal }), (error: unknown) => error === reason);
    await assert.rejects(QmpClient.connect(fake.path, { signal: controller.signal }), (error: unknown) => error === reason);
    client.destroy();
    await fake.close();
  });

  it('close() waits for pending answers; destroy() rejects them now', async () => {
    const held: Array<() => void> = [];
    const fake = await fakeQmp((command, socket) => held.push(() => reply(socket, { return: command.execute, id: command.id })));
    const client = await QmpClient.connect(fake.path);
    const pending = client.execute('stop');
    const closing = client.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(client.closed, false, 'close() must wait for the answer it is owed');
    held.shift()!();
    assert.equal(await pending, 'stop');
    await closing;
    assert.equal(client.closed, true);

    const second = await QmpClient.connect(fake.path);
    const abandoned = second.execute('cont');
    const reason = new Error('test: destroyed');
    second.destroy(reason);
    second.destroy();
    await assert.rejects(abandoned, (error: unknown) => isCrashtestError(error, 'CT_ERR_QMP_CLOSED') && (error as Error).cause === reason);
    await fake.close();
  });
});
