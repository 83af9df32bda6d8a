/**
 * Log4j 2.14's Interpolator: `prefix:name` goes to the lookup registered for the (lower-cased)
 * prefix; when that answers nothing the name alone goes to the configuration's properties
 * (`hostName`, `contextName`). Only the lookups a default 2.14.1 installation has are known.
 */
import { environmentVariable, type JavaEnvironment } from './java-environment.ts';
import { formatJavaDate } from './java-date-format.ts';
import type { VariableResolver } from './log4j-substitutor.ts';

/** runs a JNDI lookup of `name` (the text after `jndi:`); what it returns replaces the variable */
export type JndiLookup = (name: string, expression: string) => string | null;

export interface Log4jInterpolatorOptions {
  environment: JavaEnvironment;
  /** the dummy's wall clock for `${date:…}` */
  now: Date;
  jndi: JndiLookup;
}

export function log4jInterpolator(options: Log4jInterpolatorOptions): VariableResolver {
  const { environment } = options;
  const properties = new Map([
    ['hostName', environment.hostName],
    ['contextName', 'default'],
  ]);
  return (variable, hasDefault, expression) => {
    let name = variable;
    const separator = variable.indexOf(':');
    if (separator >= 0) {
      const prefix = variable.slice(0, separator).toLowerCase();
      const value = lookup(prefix, variable.slice(separator + 1), hasDefault, expression, options);
      if (value !== null) return value;
      name = variable.slice(separator + 1);
    }
    return properties.get(name) ?? null;
  };
}

function lookup(prefix: string, name: string, hasDefault: boolean, expression: string, options: Log4jInterpolatorOptions): string | null {
  const { environment } = options;
  switch (prefix) {
    case 'lower':
      return name.toLowerCase();
    case 'upper':
      return name.toUpperCase();
    case 'env':
      return environmentVariable(environment, name, hasDefault);
    case 'sys':
      return environment.systemProperties.get(name) ?? null;
    case 'java':
      return javaLookup(name, environment);
    case 'date':
      return formatJavaDate(name, options.now);
    case 'jndi':
      return options.jndi(name, expression);
    default:
      // ctx, map, marker, bundle, web, docker, … find nothing in a plain servlet container; an
      // unknown prefix finds nothing either: both fall through to the properties
      return null;
  }
}

function javaLookup(name: string, environment: JavaEnvironment): string | null {
  const version = environment.javaVersion;
  const build = `${version}-b14`;
  switch (name) {
    case 'version':
      return `Java version ${version}`;
    case 'runtime':
      return `Java(TM) SE Runtime Environment (build ${build}) from Oracle Corporation`;
    case 'vm':
      return `Java HotSpot(TM) 64-Bit Server VM (build 25.${version.split('_')[1] ?? '102'}-b14, mixed mode)`;
    case 'os':
      return `Linux ${environment.systemProperties.get('os.version') ?? '4.19.0'}, architecture: amd64-64`;
    case 'locale':
      return 'default locale: en_US, platform encoding: UTF-8';
    case 'hw':
      return 'processors: 2, architecture: amd64-64, instruction sets: amd64';
    default:
      return null;
  }
}
