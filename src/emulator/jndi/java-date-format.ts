/**
 * The part of java.text.SimpleDateFormat that `${date:…}` needs: quoted literals (`${date:'j'}` is
 * an obfuscated `j`), the common pattern letters, other characters as they are. Times are UTC.
 */
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

export function formatJavaDate(pattern: string, date: Date): string {
  let output = '';
  let index = 0;
  while (index < pattern.length) {
    const character = pattern[index]!;
    if (character === "'") {
      const close = pattern.indexOf("'", index + 1);
      if (close === index + 1) {
        output += "'";
        index += 2;
        continue;
      }
      // an unterminated quote makes SimpleDateFormat refuse the pattern; Log4j then uses its default format
      if (close < 0) return date.toISOString();
      output += pattern.slice(index + 1, close);
      index = close + 1;
      continue;
    }
    if (!/[A-Za-z]/.test(character)) {
      output += character;
      index++;
      continue;
    }
    let run = 1;
    while (pattern[index + run] === character) run++;
    const field = dateField(character, run, date);
    if (field === null) return date.toISOString();
    output += field;
    index += run;
  }
  return output;
}

function dateField(letter: string, width: number, date: Date): string | null {
  const pad = (value: number) => String(value).padStart(width, '0');
  switch (letter) {
    case 'y':
      return width === 2 ? String(date.getUTCFullYear() % 100).padStart(2, '0') : pad(date.getUTCFullYear());
    case 'M':
      return width >= 4 ? MONTHS[date.getUTCMonth()]! : width === 3 ? MONTHS[date.getUTCMonth()]!.slice(0, 3) : pad(date.getUTCMonth() + 1);
    case 'd':
      return pad(date.getUTCDate());
    case 'H':
      return pad(date.getUTCHours());
    case 'h':
      return pad(date.getUTCHours() % 12 || 12);
    case 'm':
      return pad(date.getUTCMinutes());
    case 's':
      return pad(date.getUTCSeconds());
    case 'S':
      return pad(date.getUTCMilliseconds());
    case 'E':
      return width >= 4 ? DAYS[date.getUTCDay()]! : DAYS[date.getUTCDay()]!.slice(0, 3);
    case 'a':
      return date.getUTCHours() < 12 ? 'AM' : 'PM';
    case 'z':
    case 'Z':
    case 'X':
      return letter === 'z' ? 'UTC' : '+0000';
    default:
      return null;
  }
}
