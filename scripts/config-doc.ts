/** Prints docs/config.md from the config schema: `npx tsx scripts/config-doc.ts > docs/config.md`. */
import { renderConfigDoc } from '../src/config/index.ts';

process.stdout.write(renderConfigDoc());
