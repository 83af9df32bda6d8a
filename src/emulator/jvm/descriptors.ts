/** Field and method descriptors (JVMS §4.3): `(Ljava/lang/String;I)V` → its argument and return types. */

/** the argument descriptors of a method descriptor, in order */
export function argumentDescriptors(descriptor: string): string[] {
  const types: string[] = [];
  let index = descriptor.indexOf('(') + 1;
  const end = descriptor.indexOf(')');
  while (index > 0 && index < end) {
    const start = index;
    while (descriptor[index] === '[') index++;
    if (descriptor[index] === 'L') index = descriptor.indexOf(';', index);
    if (index < 0) break;
    index++;
    types.push(descriptor.slice(start, index));
  }
  return types;
}

export function returnDescriptor(descriptor: string): string {
  const close = descriptor.indexOf(')');
  return close < 0 ? 'V' : descriptor.slice(close + 1);
}

/** `java.lang.String` / `int` / `String[]` as Class.forName and getMethod name it → a descriptor */
export function descriptorOfClassName(name: string): string {
  const primitives: Record<string, string> = { int: 'I', long: 'J', boolean: 'Z', byte: 'B', char: 'C', short: 'S', float: 'F', double: 'D', void: 'V' };
  if (primitives[name]) return primitives[name]!;
  if (name.startsWith('[')) return name.replace(/\./g, '/');
  return `L${name.replace(/\./g, '/')};`;
}
