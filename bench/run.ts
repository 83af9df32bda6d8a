/**
 * `npm run bench -- NAME [options]`: runs one benchmark by name.
 *   ingest    read+decode+flow+reassembly on a ≥1 GiB capture built from the corpus, beside tcpdump
 *             and tshark, then the 10-million-flow SYN flood (--no-synflood to skip it)
 *   synflood  only the SYN flood workload
 *   stages    read / read+decode / read+decode+flow timed separately on one file
 *   cpu       emulated instructions per second on decoder loops, beside Unicorn on the same code,
 *             and the time to profile each corpus shellcode
 *   respond   verdict → port down against a simulated switch, and journal inserts per second
 *   pool      dummy pool leases+reverts per second and memory per warm dummy (--driver fake)
 *   analyze   `crashtest analyze` over the whole corpus, and a 10,000-copy worm answered by its learned signature
 *   revert    revert-to-answering time of real dummies (netns, qemu) and memory per warm dummy
 */
const BENCHES: Record<string, () => Promise<{ main: (args: string[]) => Promise<number> }>> = {
  ingest: () => import('./ingest.ts'),
  synflood: () => import('./synflood.ts'),
  stages: () => import('./stages.ts'),
  cpu: () => import('./cpu.ts'),
  respond: () => import('./respond.ts'),
  pool: () => import('./pool.ts'),
  analyze: () => import('./analyze.ts'),
  revert: () => import('./revert.ts'),
  live: () => import('./live.ts'),
};

const [name, ...args] = process.argv.slice(2);
const load = name === undefined ? undefined : BENCHES[name];
if (load === undefined) {
  console.error(`usage: npm run bench -- ${Object.keys(BENCHES).join('|')} [options]`);
  process.exit(2);
}
process.exitCode = await (await load()).main(args);
