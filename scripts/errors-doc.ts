/** Prints docs/errors.md from the error registry: `tsx scripts/errors-doc.ts > docs/errors.md`. */
import { ERROR_CODES } from '../src/core/index.ts';

const lines = [
  '# Error codes',
  '',
  'Every error crashtest raises on purpose carries one of these codes (`err.code`). Scripts and',
  'callers branch on the code, never on the message. Messages say what was expected, what was found',
  'and where (file, byte offset, config key); the same facts are in `err.details`.',
  '',
  'A test keeps this table and `src/core/errors.ts` equal in both directions.',
  '',
  '| code | meaning |',
  '|---|---|',
  ...Object.entries(ERROR_CODES).map(([code, meaning]) => `| \`${code}\` | ${meaning} |`),
  '',
];
process.stdout.write(lines.join('\n'));
