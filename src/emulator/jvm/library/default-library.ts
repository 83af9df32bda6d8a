/** The class library every emulated JVM run starts with (built once: the natives keep no state). */
import { defineJavaIo } from './java-io.ts';
import { defineJavaLang } from './java-lang.ts';
import { defineJavaNet } from './java-net.ts';
import { defineJavaProcess } from './java-process.ts';
import { defineJavaReflect } from './java-reflect.ts';
import { defineJavaThread } from './java-thread.ts';
import { defineJavaUtil } from './java-util.ts';
import { NativeLibrary } from './native-library.ts';

let library: NativeLibrary | null = null;

export function defaultLibrary(): NativeLibrary {
  if (library) return library;
  library = new NativeLibrary();
  defineJavaLang(library);
  defineJavaIo(library);
  defineJavaProcess(library);
  defineJavaNet(library);
  defineJavaThread(library);
  defineJavaReflect(library);
  defineJavaUtil(library);
  library.define('java/lang/Iterable', null, []);
  // what JNDI hands a factory: the reference, its name and context (no method of them is modelled)
  library.define('javax/naming/spi/ObjectFactory', null, []);
  library.define('javax/naming/Reference', 'java/lang/Object', ['java/io/Serializable']);
  library.define('javax/naming/Name', null, []);
  library.define('javax/naming/Context', null, []);
  library.define('java/util/Dictionary', 'java/lang/Object', []);
  return library;
}
