/**
 * The Java process a Log4j lookup runs in, as the dummy pretends it to be: system properties,
 * environment variables, the host name Log4j's configuration knows. All of it is fake; none of it
 * comes from the machine crashtest runs on.
 */
import { createHash } from 'node:crypto';

export interface JavaEnvironment {
  readonly hostName: string;
  /** `1.8.0_102` */
  readonly javaVersion: string;
  readonly systemProperties: ReadonlyMap<string, string>;
  readonly environmentVariables: ReadonlyMap<string, string>;
}

export interface JavaEnvironmentOptions {
  hostName: string;
  javaVersion?: string;
  user?: string;
  /** extra or replacing environment variables */
  environment?: Record<string, string>;
}

export function javaEnvironment(options: JavaEnvironmentOptions): JavaEnvironment {
  const javaVersion = options.javaVersion ?? '1.8.0_102';
  const user = options.user ?? 'tomcat';
  const home = user === 'root' ? '/root' : `/home/${user}`;
  const javaHome = '/usr/lib/jvm/java-8-openjdk-amd64/jre';
  const systemProperties = new Map<string, string>([
    ['java.version', javaVersion],
    ['java.vendor', 'Oracle Corporation'],
    ['java.home', javaHome],
    ['java.vm.name', 'Java HotSpot(TM) 64-Bit Server VM'],
    ['java.runtime.version', `${javaVersion}-b14`],
    ['java.class.path', '/usr/local/tomcat/bin/bootstrap.jar:/usr/local/tomcat/bin/tomcat-juli.jar'],
    ['os.name', 'Linux'],
    ['os.arch', 'amd64'],
    ['os.version', '4.19.0-18-amd64'],
    ['user.name', user],
    ['user.home', home],
    ['user.dir', '/usr/local/tomcat'],
    ['file.separator', '/'],
    ['path.separator', ':'],
    ['line.separator', '\n'],
    ['file.encoding', 'UTF-8'],
  ]);
  const environmentVariables = new Map<string, string>([
    ['USER', user],
    ['HOME', home],
    ['HOSTNAME', options.hostName],
    ['PATH', '/usr/local/tomcat/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    ['PWD', '/usr/local/tomcat'],
    ['LANG', 'C.UTF-8'],
    ['SHELL', '/bin/bash'],
    ['JAVA_HOME', javaHome],
    ['JAVA_VERSION', `8u${javaVersion.split('_')[1] ?? '102'}`],
    ['CATALINA_HOME', '/usr/local/tomcat'],
    ...Object.entries(options.environment ?? {}),
  ]);
  return { hostName: options.hostName, javaVersion, systemProperties, environmentVariables };
}

/**
 * An environment variable the attacker asks for by name. Exfiltration payloads name secrets they
 * hope exist (`${env:AWS_SECRET_ACCESS_KEY}`); the dummy plays along with a stable fake value so the
 * exfiltration channel is exercised and the value is recognisable in the egress. With a default
 * (`${env:NOPE:-j}`, an obfuscation) the variable is absent, as on a real host, so the default wins.
 */
export function environmentVariable(environment: JavaEnvironment, name: string, hasDefault: boolean): string | null {
  const known = environment.environmentVariables.get(name);
  if (known !== undefined) return known;
  if (hasDefault || !/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) return null;
  return fakeSecret(name);
}

/** the stable fake value of an environment variable the dummy does not otherwise have */
export function fakeSecret(name: string): string {
  return `ct${createHash('sha256').update(`crashtest-environment:${name}`).digest('hex').slice(0, 10)}`;
}
