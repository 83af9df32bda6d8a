/** The SMB1/SMB2 service of the emulated dummies, on TCP 445 and 139, with named pipes by injection. */
export { smbService, netbiosSessionService, type SmbServiceOptions } from './smb-service.ts';
export { SmbConnection, type SmbConnectionOptions } from './smb-connection.ts';
export { feaListOverflow, type FeaListOverflow } from './fea-list-overflow.ts';
export { NetbiosFramer, netbiosMessage } from './netbios-framer.ts';
