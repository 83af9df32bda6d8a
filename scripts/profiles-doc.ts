/** Prints docs/profiles.md from the profile catalogue: `npx tsx scripts/profiles-doc.ts > docs/profiles.md`. */
import { defaultCatalogue, renderProfilesDoc } from '../src/sandbox/index.ts';

process.stdout.write(renderProfilesDoc(defaultCatalogue()));
