/**
 * The factory class an LDAP answer names (javaCodeBase + javaFactory), as a JDK that still trusts
 * URL codebases loads it (before 8u191, 7u201, 6u211 and 11.0.1 for LDAP): fetched over HTTP from
 * the codebase, then run in the emulated JVM (`<clinit>`, `<init>`, getObjectInstance), further
 * classes it names fetched from the same codebase. What the class does on the network and in the
 * shell is observed where it happens; its whole run becomes a `code` observation.
 */
import { createHash } from 'node:crypto';
import type { EndpointSocket, SocketKind } from '../behaviour/network-endpoint.ts';
import { isClassFile, runObjectFactory, type JvmContext } from '../jvm/index.ts';
import { httpFetch } from '../services/http/http-client.ts';
import { parseHttpUrl } from '../services/http/http-url.ts';
import { environmentVariable } from './java-environment.ts';
import type { JndiContext } from './jndi-context.ts';

const MAX_CLASS_BYTES = 1 << 20;

/** Fetches and runs the factory; returns the class URLs fetched. */
export function loadRemoteFactory(context: JndiContext, openSocket: (kind: SocketKind) => EndpointSocket, codebase: string, factory: string): string[] {
  if (!trustsUrlCodebase(context.environment.javaVersion)) return [];
  // javaCodeBase is a space-separated list of URLs; the class loader tries the first
  const base = (codebase.trim().split(/\s+/)[0] ?? '').replace(/#.*$/, '');
  const classUrls: string[] = [];
  const fetchClass = (binaryName: string): Uint8Array | null => {
    const classUrl = `${base.endsWith('/') ? base : `${base}/`}${binaryName.replace(/\./g, '/')}.class`;
    const url = parseHttpUrl(classUrl);
    if (!url || url.scheme !== 'http') return null;
    classUrls.push(classUrl);
    const fetched = httpFetch(context.network, openSocket('tcp'), url, { userAgent: `Java/${context.environment.javaVersion}`, maxBytes: MAX_CLASS_BYTES });
    return fetched.status === 200 && isClassFile(fetched.body) ? fetched.body : null;
  };
  const bytes = fetchClass(factory);
  if (!bytes) return classUrls;
  const run = runObjectFactory(bytes, factory, jvmContext(context, fetchClass));
  context.observe({
    kind: 'code',
    at: context.now(),
    service: context.origin,
    trace: run.trace,
    bytesSha256: createHash('sha256').update(bytes).digest('hex'),
  });
  return classUrls;
}

function jvmContext(context: JndiContext, fetchClass: (binaryName: string) => Uint8Array | null): JvmContext {
  const os = context.os ?? 'linux';
  return {
    network: context.network,
    environment: context.environment,
    os,
    runCommand: (commandLine, origin) => {
      if (context.runCommand) return context.runCommand(os === 'windows' ? 'cmd' : 'sh', commandLine, origin);
      context.observe({ kind: 'exec', at: context.now(), shell: 'process', command: commandLine, origin });
      return '';
    },
    environmentVariable: (name) => environmentVariable(context.environment, name, false),
    fetchClass,
    now: () => context.now(),
    ...(context.sleep ? { sleep: (virtualMs: number) => context.sleep!(virtualMs) } : {}),
    ...(context.nextSocketId ? { nextSocketId: context.nextSocketId } : {}),
    ...(context.anomaly ? { anomaly: (name: string) => context.anomaly!(name) } : {}),
    ...(context.jvmLimits ? { limits: context.jvmLimits } : {}),
  };
}

/** whether this JDK's LDAP provider still loads classes from a reference's codebase */
export function trustsUrlCodebase(javaVersion: string): boolean {
  const legacy = /^1\.(\d+)\.\d+(?:_(\d+))?/.exec(javaVersion);
  if (legacy) {
    const major = Number(legacy[1]);
    const update = Number(legacy[2] ?? 0);
    if (major <= 5) return true;
    return (major === 6 && update < 211) || (major === 7 && update < 201) || (major === 8 && update < 191);
  }
  const modern = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(javaVersion);
  if (!modern) return false;
  const major = Number(modern[1]);
  if (major === 9 || major === 10) return true;
  return major === 11 && Number(modern[2] ?? 0) === 0 && Number(modern[3] ?? 0) === 0;
}
