/**
 * What the emulated Windows process must know about a vulnerable application's own modules: the
 * DLLs it loads at fixed addresses (built without relocation, long before ASLR) and the import
 * table slots there. Exploits of those applications call through such slots instead of resolving
 * APIs themselves, so the process has to map them where the real application had them.
 * Keyed by the profile's application name and service pack; the facts are from public analyses.
 */
import type { Profile, ProfileApplication } from '../../config/index.ts';
import type { ApplicationModule } from './windows-process.ts';

interface ApplicationImage {
  /** the profile's application names this image belongs to */
  applications: readonly string[];
  /** which of their versions load it */
  applies(application: ProfileApplication): boolean;
  modules: readonly ApplicationModule[];
}

/**
 * SQL Server 2000 and MSDE 2000 before SP3 load sqlsort.dll at 0x42AE0000 without relocation; its
 * import table holds GetProcAddress at 0x42AE1010 and 0x42AE101C and LoadLibraryA at 0x42AE1018.
 * Slammer (January 2003) calls through exactly these slots (eEye and NGSSoftware analyses, 2003).
 * SP3 rebuilt the DLL, so those slots are no longer these APIs.
 */
const SQL_SERVER_2000_BEFORE_SP3: ApplicationImage = {
  applications: ['sql-server-2000', 'msde-2000'],
  applies: (application) => (application.servicePack ?? 0) < 3,
  modules: [
    {
      name: 'sqlsort.dll',
      base: 0x42ae0000,
      size: 0x20000,
      imports: {
        0x42ae1010: 'kernel32.dll!GetProcAddress',
        0x42ae101c: 'kernel32.dll!GetProcAddress',
        0x42ae1018: 'kernel32.dll!LoadLibraryA',
      },
    },
  ],
};

const APPLICATION_IMAGES: readonly ApplicationImage[] = [SQL_SERVER_2000_BEFORE_SP3];

/** The fixed-address modules of the profile's applications (fresh copies: callers may change them). */
export function applicationModulesFor(profile: Profile): ApplicationModule[] {
  if (profile.os.kind !== 'windows') return [];
  const modules: ApplicationModule[] = [];
  for (const application of profile.applications) {
    for (const image of APPLICATION_IMAGES) {
      if (!image.applications.includes(application.name) || !image.applies(application)) continue;
      for (const module of image.modules) modules.push({ ...module, imports: { ...module.imports } });
    }
  }
  return modules;
}
