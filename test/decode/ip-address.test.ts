import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIpv4, formatIpv6 } from '../../src/decode/index.ts';
import { ipv4Bytes, ipv6Bytes } from '../helpers/packets.ts';

test('IPv4 text is the plain dotted quad', () => {
  for (const address of ['0.0.0.0', '255.255.255.255', '10.0.0.1', '192.168.100.7', '1.2.3.4']) {
    assert.equal(formatIpv4(ipv4Bytes(address), 0), address);
    assert.equal(formatIpv4(ipv4Bytes(address), 0), address, 'from the cache');
  }
  const shifted = Buffer.concat([Buffer.from([9, 9, 9]), ipv4Bytes('172.16.0.10')]);
  assert.equal(formatIpv4(shifted, 3), '172.16.0.10');
});

test('IPv6 text follows RFC 5952', () => {
  const cases: [string, string][] = [
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longest run wins
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // the first of equal runs wins
    ['FE80:0:0:0:ABCD:EF01:0:0', 'fe80::abcd:ef01:0:0'],
    ['0:0:0:0:0:ffff:c000:0201', '::ffff:192.0.2.1'],
    ['ff02:0:0:0:0:0:0:fb', 'ff02::fb'],
  ];
  for (const [input, expected] of cases) {
    assert.equal(formatIpv6(ipv6Bytes(input), 0), expected, input);
    assert.equal(formatIpv6(ipv6Bytes(input), 0), expected, `${input} from the cache`);
  }
});

test('IPv6 cache slots never return another address', () => {
  for (let index = 0; index < 2000; index++) {
    const address = `2001:db8::${(index * 7919).toString(16).slice(-4)}:${index.toString(16)}`;
    const bytes = ipv6Bytes(address);
    assert.deepEqual(ipv6Bytes(formatIpv6(bytes, 0)), bytes);
  }
});

test('IPv4 cache slots never return another address', () => {
  for (let index = 0; index < 20_000; index++) {
    const address = `${(index * 31) & 255}.${(index >> 3) & 255}.${index & 255}.${(index * 7) & 255}`;
    assert.equal(formatIpv4(ipv4Bytes(address), 0), address);
  }
});
