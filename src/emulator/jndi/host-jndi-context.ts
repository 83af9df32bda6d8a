/**
 * The JNDI context of a service host: its endpoint, its observations, and a Java environment
 * that fits its profile (the JDK version of its `java` application, its host name); a remote
 * factory class it loads starts programs in the host's own shell.
 */
import type { ServiceHost } from '../services/service.ts';
import { javaEnvironment } from './java-environment.ts';
import type { JndiContext } from './jndi-context.ts';

export function hostJndiContext(host: ServiceHost, origin: string, nextSocketId?: () => number): JndiContext {
  const java = host.profile.applications.find((application) => application.name === 'java');
  const tomcat = host.profile.applications.some((application) => application.name === 'tomcat');
  const environment = javaEnvironment({
    hostName: host.hostname.toLowerCase(),
    ...(java ? { javaVersion: java.version } : {}),
    user: tomcat ? 'tomcat' : 'app',
  });
  return {
    network: host.network,
    environment,
    origin,
    observe: (observation) => host.observe(observation),
    now: () => host.now(),
    ...(nextSocketId ? { nextSocketId } : {}),
    os: host.profile.os.kind === 'windows' ? 'windows' : 'linux',
    runCommand: (shell, commandLine, commandOrigin) => host.runCommand(shell, commandLine, commandOrigin),
    sleep: (virtualMs) => host.advanceClock?.(virtualMs),
    anomaly: (name) => host.anomaly(name),
  };
}
