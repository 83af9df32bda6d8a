/** What the CLI tests use from the shared helpers, in one place. */
export { ethernet, ipv4, tcp, udp } from '../helpers/packets.ts';
export { repoRoot } from '../helpers/corpus.ts';
