/** The `crashtest` command line. Each subcommand lives in its own file under src/cli/. */
export async function main(_argv: string[]): Promise<number> {
  console.error('crashtest: no commands yet');
  return 1;
}
