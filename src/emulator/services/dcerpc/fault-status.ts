/** Status codes a fault PDU or a call's return value carries (C706 appendix E, MS-ERREF). */
export const FaultStatus = {
  /** the opnum is beyond what the interface defines */
  OperationRangeError: 0x1c010002,
  /** no interface is bound on that presentation context */
  UnknownInterface: 0x1c010003,
  ProtocolError: 0x1c01000b,
  ContextMismatch: 0x1c00001a,
  /** the stub could not be unmarshalled (RPC_X_BAD_STUB_DATA) */
  BadStubData: 0x000006f7,
  AccessDenied: 0x00000005,
  /** the call needs more memory than the server grants it (nca_s_fault_remote_no_memory) */
  RemoteNoMemory: 0x1c000016,
} as const;

/** NTSTATUS and Win32 values the interfaces return in their stubs. */
export const ReturnStatus = {
  Success: 0,
  AccessDenied: 0xc0000022,
  InvalidParameter: 0xc000000d,
  NotSupported: 0xc00000bb,
  NoTrustSamAccount: 0xc000018b,
  Win32AccessDenied: 5,
  Win32InvalidParameter: 87,
  Win32InvalidName: 123,
  Win32NotSupported: 50,
  /** EPT_S_NOT_REGISTERED: the mapper knows no endpoint for that interface */
  EndpointNotRegistered: 0x16c9a0d6,
  /** ERROR_INVALID_PRINTER_NAME */
  InvalidPrinterName: 1801,
  /** NERR_BufTooSmall-era canonicalisation errors use ERROR_INVALID_NAME; this one is the path walk-out */
  BadPathname: 161,
} as const;
