/**
 * The tshark output parsers of scripts/tshark-reference.ts on hand-written text in tshark 4.0's
 * layout (no capture content): IPv6 endpoints without brackets, byte counts with units, follow
 * blocks printed in any order with node 1's chunks after a tab.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConv, parseEndpoint, parseFollow } from '../../scripts/tshark-reference.ts';

const CONV = `================================================================================
UDP Conversations
Filter:<No Filter>
                                                           |       <-      | |       ->      | |     Total     |    Relative    |   Duration   |
                                                           | Frames  Bytes | | Frames  Bytes | | Frames  Bytes |      Start     |              |
10.0.0.1:137        <-> 10.0.0.255:137              0 0 bytes         7 644 bytes       7 644 bytes     3.765849000         2.6130
fe80::1:65373 <-> ff02::1:3:5355                   0 0 bytes         2 190 bytes       2 190 bytes     4.578837000         0.1001
================================================================================
================================================================================
TCP Conversations
Filter:<No Filter>
                                                           |       <-      | |       ->      | |     Total     |    Relative    |   Duration   |
                                                           | Frames  Bytes | | Frames  Bytes | | Frames  Bytes |      Start     |              |
10.0.0.11:49208            <-> 10.0.0.12:445                  107 11 kB        1071 1573 kB      1178 1585 kB       0.000000000         0.4333
24.6.125.19:1050           <-> 209.123.150.14:80               32 42 kB          24 6810 bytes      56 48 kB      11501.449846000      8840.4438
================================================================================
`;

const FOLLOW = `
===================================================================
Follow: tcp,raw
Filter: tcp.stream eq 1
Node 0: :0
Node 1: :0
===================================================================

===================================================================
Follow: tcp,raw
Filter: tcp.stream eq 0
Node 0: 10.0.0.1:1606
Node 1: 10.0.0.2:80
474554
\t48545450
2f
===================================================================
`;

describe('tshark output parsers', () => {
  it('parses conv rows: B→A first, then A→B; IPv6 and units', () => {
    const rows = parseConv(CONV);
    assert.equal(rows.length, 4);
    assert.deepEqual(rows[0], {
      proto: 'udp',
      a: { ip: '10.0.0.1', port: 137 },
      b: { ip: '10.0.0.255', port: 137 },
      framesBtoA: 0,
      printedBytesBtoA: '0 bytes',
      framesAtoB: 7,
      printedBytesAtoB: '644 bytes',
      relativeStart: 3.765849,
    });
    assert.deepEqual([rows[1]!.a, rows[1]!.b], [
      { ip: 'fe80::1', port: 65373 },
      { ip: 'ff02::1:3', port: 5355 },
    ]);
    assert.deepEqual([rows[2]!.proto, rows[2]!.framesBtoA, rows[2]!.printedBytesBtoA, rows[2]!.framesAtoB, rows[2]!.printedBytesAtoB], ['tcp', 107, '11 kB', 1071, '1573 kB']);
    assert.equal(rows[3]!.relativeStart, 11501.449846);
  });

  it('parses endpoints with and without brackets', () => {
    assert.deepEqual(parseEndpoint('[2001:db8::1]:443'), { ip: '2001:db8::1', port: 443 });
    assert.deepEqual(parseEndpoint('2001:db8::1:443'), { ip: '2001:db8::1', port: 443 });
  });

  it('parses follow blocks: node 0 at column 0, node 1 after a tab, empty streams', () => {
    const blocks = parseFollow(FOLLOW);
    assert.equal(blocks.length, 2);
    const empty = blocks.find((block) => block.stream === 1)!;
    assert.deepEqual([empty.node0, empty.node1, empty.fromNode0.length, empty.fromNode1.length], [null, null, 0, 0]);
    const http = blocks.find((block) => block.stream === 0)!;
    assert.deepEqual(http.node0, { ip: '10.0.0.1', port: 1606 });
    assert.equal(http.fromNode0.toString(), 'GET/');
    assert.equal(http.fromNode1.toString(), 'HTTP');
  });
});
