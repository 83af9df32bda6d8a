import type { Profile } from '../../../config/index.ts';

/** SMB2 dialect revisions ([MS-SMB2] 2.2.3) */
export const Smb2Dialect = {
  smb202: 0x0202,
  smb210: 0x0210,
  smb300: 0x0300,
  smb302: 0x0302,
  smb311: 0x0311,
  /** "SMB 2.???" answered to an SMB1 negotiate: the client sends an SMB2 negotiate next */
  wildcard: 0x02ff,
} as const;

const BY_NAME: Record<string, number> = {
  '2.0.2': Smb2Dialect.smb202,
  '2.1': Smb2Dialect.smb210,
  '3.0': Smb2Dialect.smb300,
  '3.0.2': Smb2Dialect.smb302,
  '3.1.1': Smb2Dialect.smb311,
};

/** The SMB2 dialect revisions the profile's fingerprint lists, lowest first. */
export function profileSmb2Dialects(profile: Profile): number[] {
  return profile.fingerprint.smbDialects
    .map((name) => BY_NAME[name])
    .filter((revision): revision is number => revision !== undefined)
    .sort((a, b) => a - b);
}
