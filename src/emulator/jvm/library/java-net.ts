/**
 * java.net on the dummy's network endpoint (containment in a real dummy): Socket connects and its
 * streams (writes are sent on flush, before a read and on close, as TCP would coalesce them),
 * InetAddress resolution, and URL downloads over the same HTTP client the emulated shells use.
 */
import type { EndpointSocket, NetworkEndpoint } from '../../behaviour/network-endpoint.ts';
import { httpFetch, resolveAddress } from '../../services/http/http-client.ts';
import { parseHttpUrl } from '../../services/http/http-url.ts';
import { argumentDescriptors } from '../descriptors.ts';
import { asInt, isObject, type JavaObject, type JavaValue } from '../java-values.ts';
import type { JvmRuntime } from '../jvm-runtime.ts';
import { BufferSource, StreamIn, StreamOut, type ByteSink, type ByteSource } from './java-io.ts';
import { booleanValue, optionalString, receiverObject, stateOf, stringArgument } from './native-helpers.ts';
import type { NativeCall, NativeLibrary } from './native-library.ts';

/** bytes a socket holds unsent before it sends them anyway */
const SEND_THRESHOLD = 8_192;
const MAX_DOWNLOAD = 1 << 20;

class AddressState {
  constructor(
    readonly host: string,
    readonly address: string | null,
    readonly port = 0,
  ) {}
}

class SocketState implements ByteSource, ByteSink {
  socket: EndpointSocket | null = null;
  host = '';
  address = '';
  port = 0;
  closed = false;
  private inbox = new Uint8Array(0);
  private peerClosed = false;
  private outbox: number[] = [];

  constructor(private readonly jvm: JvmRuntime) {}

  private get network(): NetworkEndpoint {
    return this.jvm.context.network;
  }

  connect(target: AddressState, port: number): void {
    const jvm: JvmRuntime = this.jvm;
    const host = target.host;
    const address = target.address ?? resolveAddress(this.network, host);
    if (address === null) jvm.throwNew('java/net/UnknownHostException', host);
    if (port < 0 || port > 65_535) jvm.throwNew('java/lang/IllegalArgumentException', `port out of range:${port}`);
    this.socket = { id: jvm.openSocketId(), kind: 'tcp' };
    Object.assign(this, { host, address, port });
    const result = this.network.connect(this.socket, address, port);
    const caller = jvm.callerLabel();
    jvm.record('network', 'java.net.Socket.connect', `${caller} connects to ${address}:${port}${host !== address ? ` (${host})` : ''}${result.kind === 'connected' || result.kind === 'would_block' ? '' : `: ${result.kind}`}`, { host, address, port, caller, result: result.kind });
    if (result.kind === 'refused' || result.kind === 'unreachable') {
      this.network.close(this.socket);
      this.closed = true;
      jvm.throwNew('java/net/ConnectException', result.kind === 'refused' ? 'Connection refused (Connection refused)' : 'Network is unreachable (connect failed)');
    }
  }

  write(bytes: Uint8Array): void {
    if (this.closed || !this.socket) this.jvm.throwNew('java/net/SocketException', 'Socket is closed');
    for (const byte of bytes) this.outbox.push(byte);
    if (this.outbox.length >= SEND_THRESHOLD) this.flush();
  }

  flush(): void {
    if (!this.socket || this.outbox.length === 0) return;
    const bytes = Uint8Array.from(this.outbox);
    this.outbox = [];
    const taken = this.network.send(this.socket, bytes);
    this.jvm.record('network', 'java.net.SocketOutputStream.write', `sends ${bytes.length} bytes to ${this.address}:${this.port}`, { address: this.address, port: this.port, length: bytes.length });
    if (taken < 0) this.jvm.throwNew('java/net/SocketException', 'Broken pipe (Write failed)');
  }

  /** one receive from the endpoint when nothing is buffered */
  private fill(): void {
    if (this.inbox.length > 0 || this.peerClosed || !this.socket || this.closed) return;
    this.flush();
    const received = this.network.receive(this.socket, 65_536);
    if (received.kind === 'data') this.inbox = received.bytes.slice();
    // a peer with nothing to say now (would_block) is, for a run that cannot wait, a closed one
    else this.peerClosed = true;
  }

  read(max: number): Uint8Array | null {
    if (this.closed) this.jvm.throwNew('java/net/SocketException', 'Socket closed');
    this.fill();
    if (this.inbox.length === 0) return null;
    const chunk = this.inbox.subarray(0, max);
    this.inbox = this.inbox.subarray(chunk.length);
    return chunk;
  }

  available(): number {
    if (this.closed) return 0;
    this.fill();
    return this.inbox.length;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    if (this.socket) this.network.close(this.socket);
  }
}

function addressArgument(call: NativeCall, value: JavaValue): AddressState {
  if (isObject(value) && value.native instanceof AddressState) return value.native;
  // a host name is resolved when the socket connects, as java.net.Socket does
  if (typeof value === 'string') return new AddressState(value, null);
  return call.jvm.throwNew('java/lang/IllegalArgumentException', 'unresolved address');
}

function lookUp(jvm: JvmRuntime, host: string): JavaObject {
  const address = host === '' ? '127.0.0.1' : resolveAddress(jvm.context.network, host);
  jvm.record('resolve', 'java.net.InetAddress.getByName', `${jvm.callerLabel()} resolves ${host}${address ? ` to ${address}` : ': unknown host'}`, { host });
  if (address === null) jvm.throwNew('java/net/UnknownHostException', `${host}: Name or service not known`);
  return jvm.newObject('java/net/InetAddress', new AddressState(host, address));
}

class UrlState {
  constructor(readonly text: string) {}
  body: BufferSource | null = null;
  status = -1;
}

function download(call: NativeCall): UrlState {
  const state = stateOf(call, UrlState);
  if (state.body) return state;
  const jvm: JvmRuntime = call.jvm;
  const url = parseHttpUrl(state.text);
  if (!url || url.scheme === 'ftp') jvm.throwNew('java/net/MalformedURLException', `unknown protocol: ${state.text}`);
  const socket: EndpointSocket = { id: jvm.openSocketId(), kind: 'tcp' };
  const fetched = httpFetch(jvm.context.network, socket, url, { userAgent: `Java/${jvm.context.environment.javaVersion}`, maxBytes: MAX_DOWNLOAD });
  jvm.record('download', 'java.net.URL.openStream', `${jvm.callerLabel()} downloads ${state.text}${fetched.status === null ? '' : ` (HTTP ${fetched.status}, ${fetched.body.length} bytes)`}`, { url: state.text, bytes: fetched.body.length });
  if (!fetched.connected) jvm.throwNew('java/net/ConnectException', `Connection refused: ${url.host}:${url.port}`);
  state.status = fetched.status ?? -1;
  state.body = new BufferSource(fetched.body);
  return state;
}

export function defineJavaNet(library: NativeLibrary): void {
  const socket = (call: NativeCall): SocketState => stateOf(call, SocketState);
  library.define('java/net/Socket', 'java/lang/Object', ['java/io/Closeable'], {
    '<init>': (call) => {
      const state = new SocketState(call.jvm);
      receiverObject(call).native = state;
      const types = argumentDescriptors(call.descriptor);
      if (types.length >= 2 && types[1] === 'I') {
        state.connect(addressArgument(call, call.args[0]), asInt(call.args[1]));
      }
    },
    connect: (call) => {
      const target = addressArgument(call, call.args[0]);
      socket(call).connect(target, target.port);
    },
    getInputStream: (call) => call.jvm.newObject('java/net/SocketInputStream', new StreamIn(socket(call))),
    getOutputStream: (call) => call.jvm.newObject('java/net/SocketOutputStream', new StreamOut(socket(call))),
    isClosed: (call) => booleanValue(socket(call).closed),
    isConnected: (call) => booleanValue(socket(call).socket !== null),
    isInputShutdown: () => 0,
    isOutputShutdown: () => 0,
    close: (call) => socket(call).close(),
    shutdownInput: () => undefined,
    shutdownOutput: (call) => socket(call).flush(),
    getInetAddress: (call) => call.jvm.newObject('java/net/InetAddress', new AddressState(socket(call).host, socket(call).address)),
    getPort: (call) => socket(call).port,
    setSoTimeout: () => undefined,
    setTcpNoDelay: () => undefined,
    setKeepAlive: () => undefined,
    setReuseAddress: () => undefined,
  });
  library.define('java/net/SocketInputStream', 'java/io/InputStream', []);
  library.define('java/net/SocketOutputStream', 'java/io/OutputStream', []);
  library.define('java/net/SocketAddress', 'java/lang/Object', []);
  library.define('java/net/InetSocketAddress', 'java/net/SocketAddress', [], {
    '<init>': (call) => {
      const target = addressArgument(call, call.args[0]);
      receiverObject(call).native = new AddressState(target.host, target.address, asInt(call.args[1]));
    },
    getHostName: (call) => stateOf(call, AddressState).host,
    getPort: (call) => stateOf(call, AddressState).port,
  });
  library.define('java/net/InetAddress', 'java/lang/Object', [], {
    getByName: (call) => lookUp(call.jvm, optionalString(call.args[0]) ?? ''),
    getAllByName: (call) => call.jvm.newArray('Ljava/net/InetAddress;', [lookUp(call.jvm, optionalString(call.args[0]) ?? '')]),
    getLocalHost: (call) => call.jvm.newObject('java/net/InetAddress', new AddressState(call.jvm.context.environment.hostName, '127.0.1.1')),
    getHostAddress: (call) => stateOf(call, AddressState).address,
    getHostName: (call) => stateOf(call, AddressState).host,
    getCanonicalHostName: (call) => stateOf(call, AddressState).host,
    toString: (call: NativeCall) => `${stateOf(call, AddressState).host}/${stateOf(call, AddressState).address ?? ''}`,
  });
  library.define('java/net/URLConnection', 'java/lang/Object', []);
  library.define('java/net/HttpURLConnection', 'java/net/URLConnection', []);
  library.define('java/net/URL', 'java/lang/Object', [], {
    '<init>': (call) => {
      const text = stringArgument(call.jvm, call.args[call.args.length - 1]);
      if (!/^[a-z][a-z0-9+.-]*:/i.test(text)) call.jvm.throwNew('java/net/MalformedURLException', `no protocol: ${text}`);
      receiverObject(call).native = new UrlState(text);
    },
    openStream: (call) => call.jvm.newObject('java/io/InputStream', new StreamIn(download(call).body!)),
    openConnection: (call) => call.jvm.newObject('java/net/HttpURLConnection', stateOf(call, UrlState)),
    toString: (call: NativeCall) => stateOf(call, UrlState).text,
    toExternalForm: (call) => stateOf(call, UrlState).text,
  });
  library.define('java/net/URLConnection', 'java/lang/Object', [], {
    getInputStream: (call) => call.jvm.newObject('java/io/InputStream', new StreamIn(download(call).body!)),
    getResponseCode: (call) => download(call).status,
    connect: (call) => void download(call),
    setRequestMethod: () => undefined,
    setRequestProperty: () => undefined,
    setDoOutput: () => undefined,
    setDoInput: () => undefined,
    setConnectTimeout: () => undefined,
    setReadTimeout: () => undefined,
    setUseCaches: () => undefined,
    disconnect: () => undefined,
  });
}
