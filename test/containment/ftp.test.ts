import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { drain, eventsOf, exchange, makeContainment, randomBytes } from './helpers.ts';

function passivePort(reply: string): number {
  const match = /\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(reply)!;
  return Number(match[5]) * 256 + Number(match[6]);
}

describe('FTP sink', () => {
  it('greets first, logs in anyone and serves RETR over a passive data connection', () => {
    const containment = makeContainment({ download: { body: 'MZ-evil' } });
    const control = containment.connectTcp({ address: '192.0.2.10', port: 21 })!;
    assert.match(drain(control), /^220 /);
    assert.match(exchange(control, 'USER anonymous\r\n'), /^331 /);
    assert.match(exchange(control, 'PASS x@y\r\n'), /^230 /);
    assert.match(exchange(control, 'TYPE I\r\n'), /^200 /);
    const pasv = exchange(control, 'PASV\r\n');
    assert.match(pasv, /^227 Entering Passive Mode \(192,0,2,10,/);
    const data = containment.connectTcp({ address: '192.0.2.10', port: passivePort(pasv) })!;
    const control150 = exchange(control, 'RETR evil.exe\r\n');
    assert.match(control150, /^150 .*\r\n226 /s);
    assert.equal(drain(data), 'MZ-evil');
    assert.ok(data.drained, 'the data connection closes after the file');
    data.close();
    assert.match(exchange(control, 'QUIT\r\n'), /^221 /);
    assert.ok(control.drained);
    const commands = eventsOf(containment.events, 'ftp_command').map((event) => `${event.facts.command} ${event.facts.argument}`.trim());
    assert.deepEqual(commands, ['USER anonymous', 'PASS x@y', 'TYPE I', 'PASV', 'RETR evil.exe', 'QUIT']);
    const [transfer] = eventsOf(containment.events, 'ftp_transfer');
    assert.deepEqual(transfer!.facts, { kind: 'ftp_transfer', direction: 'download', fileName: 'evil.exe', dataMode: 'passive', bytes: 7, sha256: createHash('sha256').update('MZ-evil').digest('hex') });
    const dataClosed = eventsOf(containment.events, 'tcp_closed').find((event) => event.connectionId === data.id)!;
    assert.equal(dataClosed.facts.sink, 'ftp-data');
  });

  it('receives a STOR upload whole, with the data connection made before the command', () => {
    const containment = makeContainment();
    const control = containment.connectTcp({ address: '192.0.2.10', port: 21 })!;
    drain(control);
    const epsv = exchange(control, 'EPSV\r\n');
    const port = Number(/\|\|\|(\d+)\|/.exec(epsv)![1]);
    const data = containment.connectTcp({ address: '192.0.2.10', port })!;
    assert.match(exchange(control, 'STOR loot.txt\r\n'), /^150 /);
    data.send(Buffer.from('secret-1\n'));
    data.send(Buffer.from('secret-2\n'));
    data.close();
    assert.match(drain(control), /^226 /);
    const [transfer] = eventsOf(containment.events, 'ftp_transfer');
    assert.equal(transfer!.facts.direction, 'upload');
    assert.equal(transfer!.facts.bytes, 18);
    assert.equal(transfer!.facts.sha256, createHash('sha256').update('secret-1\nsecret-2\n').digest('hex'));
  });

  it('acknowledges active mode (ftp -s scripts) and records the transfer without connecting out', () => {
    const containment = makeContainment();
    const control = containment.connectTcp({ address: '192.0.2.20', port: 21 })!;
    drain(control);
    const script = 'USER 1\r\nPASS 1\r\nbin\r\nPORT 10,13,37,100,4,1\r\nRETR msblast.exe\r\nbye\r\n';
    const reply = exchange(control, script);
    assert.match(reply, /200 PORT command successful/);
    assert.match(reply, /150 .*\r\n226 Transfer complete/s);
    const [transfer] = eventsOf(containment.events, 'ftp_transfer');
    assert.equal(transfer!.facts.fileName, 'msblast.exe');
    assert.equal(transfer!.facts.dataMode, 'active');
    assert.equal(containment.openConnections, 1, 'no connection towards the dummy was made');
    assert.equal(containment.counters.get('containment.ftp.ftp_command_unknown'), 2, 'bin and bye are client-side words');
  });

  it('answers hostile lines with errors and named anomalies', () => {
    const containment = makeContainment();
    const control = containment.connectTcp({ address: '192.0.2.30', port: 21 })!;
    drain(control);
    assert.match(exchange(control, 'RETR x\r\n'), /^425 /);
    assert.match(exchange(control, 'PORT 999,1,1,1,1,1\r\n'), /^501 /);
    assert.match(exchange(control, '\x00\xff\x01\r\n'), /^500 /);
    exchange(control, 'A'.repeat(5_000));
    assert.match(exchange(control, '\r\nNOOP\r\n'), /^500 Line too long.\r\n200 /);
    for (let seed = 1; seed <= 200; seed++) {
      control.send(randomBytes(64, seed));
      drain(control);
    }
    control.close();
    const counters = containment.counters.snapshot('containment.ftp');
    assert.equal(counters['containment.ftp.ftp_port_invalid'], 1);
    assert.ok(counters['containment.ftp.ftp_command_invalid']! >= 1);
    assert.equal(counters['containment.ftp.ftp_line_too_long'], 1);
  });

  it('is chosen by the first command on a port that is not 21', () => {
    const containment = makeContainment();
    const connection = containment.connectTcp({ address: '192.0.2.40', port: 2121 })!;
    // a real server greets first whatever the client did, so the banner comes before the answer
    assert.match(exchange(connection, 'USER bot\r\n'), /^220 .*\r\n331 /);
  });
});
