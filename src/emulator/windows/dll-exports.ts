/**
 * The DLLs of the emulated Windows process and the export names they carry. Names are the real
 * ones, spelled exactly, because hash-based resolvers (ROR13 and others) walk the export name table
 * and compare hashes: one wrong letter and the shellcode never finds its function.
 *
 * Each token is `Name/argumentCount`, with a `c` suffix for cdecl (the caller pops) and `?` when
 * the count is not known (treated as 0, which leaves the stack wrong for stdcall on x86 only if the
 * guest actually calls it). `@n` after the count pins the export ordinal (ws2_32's ordinals are
 * stable across versions and old shellcode imports them by number).
 */

export interface DllDefinition {
  /** lower-case file name, `kernel32.dll` */
  name: string;
  /** preferred image base on x86 and on x64 */
  base32: number;
  base64: number;
  exports: string;
}

export interface ExportSpec {
  name: string;
  argumentCount: number;
  cdecl: boolean;
  argumentCountKnown: boolean;
  ordinal?: number;
}

export function parseExports(list: string): ExportSpec[] {
  const out: ExportSpec[] = [];
  for (const token of list.split(/\s+/)) {
    if (token === '') continue;
    const match = /^([A-Za-z_][\w@?$]*)\/(\d+|\?)(c?)(?:@(\d+))?$/.exec(token);
    if (!match) throw new Error(`bad export token ${token}`);
    const spec: ExportSpec = {
      name: match[1]!,
      argumentCount: match[2] === '?' ? 0 : Number(match[2]),
      cdecl: match[3] === 'c',
      argumentCountKnown: match[2] !== '?',
    };
    if (match[4] !== undefined) spec.ordinal = Number(match[4]);
    out.push(spec);
  }
  return out;
}

const NT_FUNCTIONS = `
AllocateVirtualMemory/6 ProtectVirtualMemory/5 FreeVirtualMemory/4 QueryVirtualMemory/6 ReadVirtualMemory/5
WriteVirtualMemory/5 CreateFile/11 OpenFile/6 ReadFile/9 WriteFile/9 Close/1 DeviceIoControlFile/10
CreateProcess/8 CreateProcessEx/9 CreateUserProcess/11 CreateThread/8 CreateThreadEx/11 OpenProcess/4 OpenThread/4
TerminateProcess/2 TerminateThread/2 SuspendThread/2 ResumeThread/2 GetContextThread/2 SetContextThread/2
QueueApcThread/5 DelayExecution/2 WaitForSingleObject/3 WaitForMultipleObjects/5 CreateSection/7 MapViewOfSection/10
UnmapViewOfSection/2 QueryInformationProcess/5 SetInformationProcess/4 QueryInformationThread/5 SetInformationThread/4
QuerySystemInformation/4 QueryInformationFile/5 SetInformationFile/5 CreateEvent/5 SetEvent/2 Continue/2
RaiseException/3 OpenProcessToken/3 AdjustPrivilegesToken/6 CreateKey/7 OpenKey/3 SetValueKey/6 QueryValueKey/6
DuplicateObject/7 QueryObject/5 AllocateUuids/4 FlushInstructionCache/3 Yield/0 TestAlert/0 CreateMutant/4
LoadDriver/1 ShutdownSystem/1 RaiseHardError/6
`;

function ntAndZw(list: string): string {
  const tokens = list.split(/\s+/).filter((token) => token !== '');
  return tokens.map((token) => `Nt${token} Zw${token}`).join(' ');
}

const NTDLL = `
${ntAndZw(NT_FUNCTIONS)}
LdrLoadDll/4 LdrGetProcedureAddress/4 LdrGetDllHandle/4 LdrUnloadDll/1 LdrFindEntryForAddress/2
LdrAccessResource/4 LdrFindResource_U/4 LdrInitializeThunk/? LdrShutdownProcess/0
RtlInitUnicodeString/2 RtlInitAnsiString/2 RtlInitString/2 RtlAnsiStringToUnicodeString/3 RtlUnicodeStringToAnsiString/3
RtlFreeUnicodeString/1 RtlFreeAnsiString/1 RtlAllocateHeap/3 RtlFreeHeap/3 RtlReAllocateHeap/4 RtlCreateHeap/6
RtlDestroyHeap/1 RtlSizeHeap/3 RtlMoveMemory/3 RtlZeroMemory/2 RtlFillMemory/3 RtlCompareMemory/3
RtlExitUserThread/1 RtlExitUserProcess/1 RtlGetVersion/1 RtlUnwind/4 RtlCreateUserThread/10 RtlAdjustPrivilege/4
RtlDecompressBuffer/6 RtlCompressBuffer/8 RtlGetCompressionWorkSpaceSize/3 RtlGetCurrentPeb/0 RtlComputeCrc32/3
RtlGetLastWin32Error/0 RtlSetLastWin32Error/1 RtlNtStatusToDosError/1 RtlEnterCriticalSection/1
RtlLeaveCriticalSection/1 RtlInitializeCriticalSection/1 RtlDeleteCriticalSection/1 RtlImageNtHeader/1
RtlImageDirectoryEntryToData/4 RtlRandom/1 RtlRandomEx/1 RtlAddVectoredExceptionHandler/2
RtlRemoveVectoredExceptionHandler/1 RtlCaptureContext/1 RtlRaiseException/1 RtlDosPathNameToNtPathName_U/4
RtlSetCurrentDirectory_U/1 RtlGetFullPathName_U/4 RtlCreateProcessParameters/10 RtlCreateUserProcess/10
RtlIpv4StringToAddressA/4 RtlIpv4AddressToStringA/2 RtlUpcaseUnicodeChar/1 RtlTimeToSecondsSince1970/2
KiUserExceptionDispatcher/2 KiUserApcDispatcher/5 KiUserCallbackDispatcher/3 KiRaiseUserExceptionDispatcher/0
KiFastSystemCall/0 KiFastSystemCallRet/0 KiIntSystemCall/0 DbgBreakPoint/0 DbgUserBreakPoint/0 DbgPrint/1c
CsrClientCallServer/4 NtCurrentTeb/0
memcpy/3c memset/3c memmove/3c memcmp/3c strlen/1c strcmp/2c strncmp/3c strcpy/2c strncpy/3c strcat/2c strchr/2c
strrchr/2c strstr/2c _stricmp/2c _strnicmp/3c _strlwr/1c _strupr/1c wcslen/1c wcscpy/2c wcscat/2c wcschr/2c
_wcsicmp/2c sprintf/2c _snprintf/3c swprintf/2c _snwprintf/3c _vsnprintf/4c atoi/1c atol/1c _itoa/3c _ultoa/3c
toupper/1c tolower/1c isdigit/1c isalpha/1c isspace/1c qsort/4c abs/1c
`;

const KERNEL32 = `
ActivateActCtx/2 AddAtomA/1 AllocConsole/0 AttachConsole/1 Beep/2 CloseHandle/1 CompareStringA/6 CompareStringW/6
ConnectNamedPipe/2 CopyFileA/3 CopyFileW/3 CopyFileExA/6 CopyFileExW/6 CreateDirectoryA/2 CreateDirectoryW/2
CreateEventA/4 CreateEventW/4 CreateFileA/7 CreateFileW/7 CreateFileMappingA/6 CreateFileMappingW/6
CreateMutexA/3 CreateMutexW/3 CreateNamedPipeA/8 CreateNamedPipeW/8 CreatePipe/4 CreateProcessA/10 CreateProcessW/10
CreateRemoteThread/7 CreateThread/6 CreateToolhelp32Snapshot/2 DebugBreak/0 DeleteCriticalSection/1 DeleteFileA/1
DeleteFileW/1 DeviceIoControl/8 DisconnectNamedPipe/1 DuplicateHandle/7 EnterCriticalSection/1 ExitProcess/1
ExitThread/1 ExpandEnvironmentStringsA/3 ExpandEnvironmentStringsW/3 FatalAppExitA/2 FindClose/1 FindFirstFileA/2
FindFirstFileW/2 FindNextFileA/2 FindNextFileW/2 FindResourceA/3 FindResourceW/3 FlushFileBuffers/1
FlushInstructionCache/3 FormatMessageA/7 FreeConsole/0 FreeEnvironmentStringsA/1 FreeEnvironmentStringsW/1
FreeLibrary/1 FreeLibraryAndExitThread/2 GetACP/0 GetCommandLineA/0 GetCommandLineW/0 GetComputerNameA/2
GetComputerNameW/2 GetConsoleWindow/0 GetCurrentDirectoryA/2 GetCurrentDirectoryW/2 GetCurrentProcess/0
GetCurrentProcessId/0 GetCurrentThread/0 GetCurrentThreadId/0 GetDriveTypeA/1 GetDriveTypeW/1
GetEnvironmentStrings/0 GetEnvironmentStringsW/0 GetEnvironmentVariableA/3 GetEnvironmentVariableW/3
GetExitCodeProcess/2 GetExitCodeThread/2 GetFileAttributesA/1 GetFileAttributesW/1 GetFileSize/2 GetFileSizeEx/2
GetFileType/1 GetLastError/0 GetLocalTime/1 GetLogicalDrives/0 GetLogicalDriveStringsA/2 GetModuleFileNameA/3
GetModuleFileNameW/3 GetModuleHandleA/1 GetModuleHandleW/1 GetModuleHandleExA/3 GetModuleHandleExW/3
GetNativeSystemInfo/1 GetOEMCP/0 GetProcAddress/2 GetProcessHeap/0 GetProcessHeaps/2 GetShortPathNameA/3
GetStartupInfoA/1 GetStartupInfoW/1 GetStdHandle/1 GetSystemDefaultLangID/0 GetSystemDirectoryA/2
GetSystemDirectoryW/2 GetSystemInfo/1 GetSystemTime/1 GetSystemTimeAsFileTime/1 GetTempFileNameA/4
GetTempFileNameW/4 GetTempPathA/2 GetTempPathW/2 GetThreadContext/2 GetTickCount/0 GetUserDefaultLCID/0
GetVersion/0 GetVersionExA/1 GetVersionExW/1 GetVolumeInformationA/8 GetWindowsDirectoryA/2 GetWindowsDirectoryW/2
GlobalAlloc/2 GlobalFree/1 GlobalLock/1 GlobalUnlock/1 GlobalMemoryStatus/1 GlobalMemoryStatusEx/1 HeapAlloc/3
HeapCreate/3 HeapDestroy/1 HeapFree/3 HeapReAlloc/4 HeapSize/3 InitializeCriticalSection/1 InitializeCriticalSectionAndSpinCount/2 IsProcessorFeaturePresent/1
GetCPInfo/2 GetStringTypeW/4 LCMapStringW/6 HeapSetInformation/4
GetStringTypeA/5 LCMapStringA/6 GetLocaleInfoA/4 GetLocaleInfoW/4 IsValidCodePage/1 SetHandleCount/1 GetTimeZoneInformation/1
SystemTimeToFileTime/2 FileTimeToSystemTime/2 FileTimeToLocalFileTime/2 GetFullPathNameA/4 GetFullPathNameW/4
GetConsoleCP/0 GetConsoleOutputCP/0 GetConsoleMode/2 SetConsoleMode/2 FlushConsoleInputBuffer/1 ReadConsoleInputA/4 WriteConsoleW/5
InterlockedCompareExchange/3 InterlockedDecrement/1 InterlockedExchange/2 InterlockedExchangeAdd/2 InterlockedIncrement/1 IsBadReadPtr/2
IsBadWritePtr/2 IsDebuggerPresent/0 IsWow64Process/2 LeaveCriticalSection/1 LoadLibraryA/1 LoadLibraryExA/3
LoadLibraryExW/3 LoadLibraryW/1 LoadResource/2 LocalAlloc/2 LocalFree/1 LockResource/1 MapViewOfFile/5
Module32First/2 Module32Next/2 Heap32ListFirst/2 Heap32ListNext/2 Heap32First/3 Heap32Next/1 MoveFileA/2 MoveFileExA/3 MoveFileW/2 MultiByteToWideChar/6 OpenEventA/3
OpenMutexA/3 OpenProcess/3 OpenThread/3 OutputDebugStringA/1 PeekNamedPipe/6 Process32First/2 Process32FirstW/2
Process32Next/2 Process32NextW/2 QueryPerformanceCounter/1 QueryPerformanceFrequency/1 QueueUserAPC/3
RaiseException/4 ReadFile/5 ReadProcessMemory/5 ReleaseMutex/1 RemoveDirectoryA/1 ResetEvent/1 ResumeThread/1
RtlUnwind/4 RtlZeroMemory/2 RtlMoveMemory/3 RtlFillMemory/3 SetConsoleCtrlHandler/2 SetCurrentDirectoryA/1 SetEndOfFile/1 SetEnvironmentVariableA/2 SetErrorMode/1
SetEvent/1 SetFileAttributesA/2 SetFilePointer/4 SetFilePointerEx/5 SetHandleInformation/3 SetLastError/1
SetStdHandle/2 SetThreadContext/2 SetUnhandledExceptionFilter/1 SizeofResource/2 Sleep/1 SleepEx/2 SuspendThread/1
SwitchToThread/0 FlsAlloc/1 FlsFree/1 FlsGetValue/1 FlsSetValue/2 EncodePointer/1 DecodePointer/1 EncodeSystemPointer/1 DecodeSystemPointer/1 TerminateProcess/2 TerminateThread/2 Thread32First/2 Thread32Next/2 TlsAlloc/0 TlsFree/1
TlsGetValue/1 TlsSetValue/2 UnhandledExceptionFilter/1 UnmapViewOfFile/1 VirtualAlloc/4 VirtualAllocEx/5
VirtualFree/3 VirtualFreeEx/4 VirtualProtect/4 VirtualProtectEx/5 VirtualQuery/3 VirtualQueryEx/4
WaitForMultipleObjects/4 WaitForSingleObject/2 WaitForSingleObjectEx/3 WideCharToMultiByte/8 WinExec/2
Wow64DisableWow64FsRedirection/1 Wow64RevertWow64FsRedirection/1 WriteConsoleA/5 WriteFile/5 WriteProcessMemory/5
_lclose/1 _lcreat/2 _llseek/3 _lopen/2 _lread/3 _lwrite/3 lstrcatA/2 lstrcatW/2 lstrcmpA/2 lstrcmpW/2 lstrcmpiA/2
lstrcmpiW/2 lstrcpyA/2 lstrcpyW/2 lstrcpynA/3 lstrlenA/1 lstrlenW/1
`;

const KERNELBASE = `
CloseHandle/1 CreateEventA/4 CreateEventW/4 CreateFileA/7 CreateFileW/7 CreateRemoteThreadEx/8 DuplicateHandle/7
ExitProcess/1 ExpandEnvironmentStringsA/3 ExpandEnvironmentStringsW/3 FreeLibrary/1 GetCommandLineA/0
GetCommandLineW/0 GetCurrentProcess/0 GetCurrentProcessId/0 GetCurrentThread/0 GetCurrentThreadId/0 GetLastError/0
GetModuleFileNameA/3 GetModuleFileNameW/3 GetModuleHandleA/1 GetModuleHandleW/1 GetModuleHandleExA/3
GetModuleHandleExW/3 GetProcAddress/2 GetProcessHeap/0 GetStartupInfoW/1 GetStdHandle/1 GetSystemDirectoryA/2
GetSystemDirectoryW/2 GetTempPathA/2 GetTempPathW/2 GetTickCount/0 GetVersion/0 GetVersionExA/1 GetVersionExW/1
HeapAlloc/3 HeapFree/3 IsDebuggerPresent/0 LoadLibraryExA/3 LoadLibraryExW/3 LocalAlloc/2 LocalFree/1
OpenProcess/3 ReadFile/5 ReadProcessMemory/5 ResumeThread/1 SetLastError/1 SetUnhandledExceptionFilter/1 Sleep/1
SleepEx/2 TerminateProcess/2 TerminateThread/2 VirtualAlloc/4 VirtualAllocEx/5 VirtualFree/3 VirtualProtect/4
VirtualProtectEx/5 VirtualQuery/3 WaitForSingleObject/2 WaitForSingleObjectEx/3 WriteFile/5 WriteProcessMemory/5
`;

const WS2_32 = `
accept/3@1 bind/3@2 closesocket/1@3 connect/3@4 getpeername/3@5 getsockname/3@6 getsockopt/5@7 htonl/1@8
htons/1@9 ioctlsocket/3@10 inet_addr/1@11 inet_ntoa/1@12 listen/2@13 ntohl/1@14 ntohs/1@15 recv/4@16
recvfrom/6@17 select/5@18 send/4@19 sendto/6@20 setsockopt/5@21 shutdown/2@22 socket/3@23 gethostbyaddr/3@51
gethostbyname/1@52 getprotobyname/1@53 getprotobynumber/1@54 getservbyname/2@55 getservbyport/2@56
gethostname/2@57 WSAAsyncSelect/4@101 WSAGetLastError/0@111 WSASetLastError/1@112 WSAStartup/2@115
WSACleanup/0@116 __WSAFDIsSet/2@151
WSAAccept/5 WSAConnect/7 WSAEventSelect/3 WSAIoctl/9 WSARecv/7 WSARecvFrom/9 WSASend/7 WSASendTo/9 WSASocketA/6
WSASocketW/6 WSACreateEvent/0 WSACloseEvent/1 WSAWaitForMultipleEvents/5 WSAEnumNetworkEvents/3 WSAHtons/3
WSANtohs/3 WSAHtonl/3 WSANtohl/3 WSAAddressToStringA/5 WSAStringToAddressA/5 WSADuplicateSocketA/3
WSAGetOverlappedResult/5 getaddrinfo/4 freeaddrinfo/1 getnameinfo/7 GetAddrInfoW/4 FreeAddrInfoW/1 inet_pton/3
inet_ntop/4 InetPtonW/3
`;

const WININET = `
InternetOpenA/5 InternetOpenW/5 InternetOpenUrlA/6 InternetOpenUrlW/6 InternetConnectA/8 InternetConnectW/8
InternetReadFile/4 InternetReadFileExA/4 InternetWriteFile/4 InternetCloseHandle/1 InternetSetOptionA/4
InternetSetOptionW/4 InternetQueryOptionA/4 InternetGetConnectedState/2 InternetCrackUrlA/4 InternetCrackUrlW/4
InternetQueryDataAvailable/4 InternetErrorDlg/5 InternetSetStatusCallback/2 InternetAttemptConnect/1
InternetCheckConnectionA/3 InternetGetCookieA/4 InternetSetCookieA/3 HttpOpenRequestA/8 HttpOpenRequestW/8
HttpSendRequestA/5 HttpSendRequestW/5 HttpSendRequestExA/5 HttpEndRequestA/4 HttpQueryInfoA/5 HttpQueryInfoW/5
HttpAddRequestHeadersA/4 FtpOpenFileA/5 FtpGetFileA/7 FtpPutFileA/5 DeleteUrlCacheEntry/1 DeleteUrlCacheEntryA/1
`;

const URLMON = `
URLDownloadToFileA/5 URLDownloadToFileW/5 URLDownloadToCacheFileA/6 URLDownloadToCacheFileW/6 URLOpenStreamA/4
URLOpenBlockingStreamA/5 URLOpenBlockingStreamW/5 URLOpenPullStreamA/4 ObtainUserAgentString/3
CoInternetGetSession/3 CreateURLMoniker/3 CreateURLMonikerEx/4 FindMimeFromData/8 IsValidURL/3
MkParseDisplayNameEx/4 RegisterBindStatusCallback/4 RevokeBindStatusCallback/2 UrlMkSetSessionOption/4
UrlMkGetSessionOption/5
`;

const MSVCRT = `
system/1c _wsystem/1c _execv/2c _execve/3c _execvp/2c _execl/2c _execlp/2c _spawnv/3c _spawnl/3c _spawnvp/3c
_popen/2c _wpopen/2c _pclose/1c exit/1c _exit/1c abort/0c malloc/1c calloc/2c realloc/2c free/1c memcpy/3c
memset/3c memmove/3c memcmp/3c strcpy/2c strncpy/3c strcat/2c strncat/3c strcmp/2c strncmp/3c _stricmp/2c
_strnicmp/3c strlen/1c strchr/2c strrchr/2c strstr/2c strtok/2c strdup/1c _strdup/1c sprintf/2c _snprintf/3c
printf/1c fprintf/2c sscanf/2c fopen/2c _wfopen/2c fclose/1c fwrite/4c fread/4c fgets/3c fputs/2c fflush/1c
fseek/3c ftell/1c _open/2c _close/1c _read/3c _write/3c _lseek/3c getenv/1c _putenv/1c atoi/1c atol/1c
strtol/3c strtoul/3c _itoa/3c time/1c srand/1c rand/0c _beginthread/3c _beginthreadex/6c _endthread/0c
_endthreadex/1c wcslen/1c wcscpy/2c wcscat/2c _wcsicmp/2c toupper/1c tolower/1c isalpha/1c isdigit/1c
isspace/1c signal/2c _errno/0c __getmainargs/5c _initterm/2c _controlfp/2c _except_handler3/4c _XcptFilter/2c
__set_app_type/1c __p__fmode/0c __p__commode/0c _cexit/0c _onexit/1c atexit/1c
`;

const ADVAPI32 = `
RegOpenKeyA/3 RegOpenKeyExA/5 RegOpenKeyExW/5 RegCreateKeyA/3 RegCreateKeyExA/9 RegCreateKeyExW/9 RegSetValueExA/6
RegSetValueExW/6 RegQueryValueExA/6 RegQueryValueExW/6 RegDeleteKeyA/2 RegDeleteValueA/2 RegCloseKey/1
RegEnumKeyExA/8 RegEnumValueA/8 OpenProcessToken/3 OpenThreadToken/4 LookupPrivilegeValueA/3
LookupPrivilegeValueW/3 AdjustTokenPrivileges/6 GetTokenInformation/5 DuplicateTokenEx/6
ImpersonateLoggedOnUser/1 RevertToSelf/0 CreateProcessAsUserA/11 CreateProcessAsUserW/11
CreateProcessWithLogonW/11 LogonUserA/6 LogonUserW/6 GetUserNameA/2 GetUserNameW/2 OpenSCManagerA/3
OpenSCManagerW/3 CreateServiceA/13 CreateServiceW/13 OpenServiceA/3 OpenServiceW/3 StartServiceA/3 StartServiceW/3
ControlService/3 DeleteService/1 CloseServiceHandle/1 ChangeServiceConfigA/11 StartServiceCtrlDispatcherA/1
RegisterServiceCtrlHandlerA/2 SetServiceStatus/2 CryptAcquireContextA/5 CryptAcquireContextW/5
CryptReleaseContext/2 CryptGenRandom/3 CryptCreateHash/5 CryptHashData/4 CryptDestroyHash/1 CryptGetHashParam/5
CryptEncrypt/7 CryptDecrypt/6 CryptImportKey/6 CryptDeriveKey/5 CryptDestroyKey/1 AllocateAndInitializeSid/11
FreeSid/1 CheckTokenMembership/3 ConvertSidToStringSidA/2 LookupAccountSidA/7 SetSecurityDescriptorDacl/4
InitializeSecurityDescriptor/2 SystemFunction036/2 RegisterEventSourceA/2 RegisterEventSourceW/2 ReportEventA/9
ReportEventW/9 DeregisterEventSource/1
`;

const USER32 = `
MessageBoxA/4 MessageBoxW/4 MessageBoxExA/5 FindWindowA/2 FindWindowW/2 FindWindowExA/4 GetForegroundWindow/0
GetDesktopWindow/0 ShowWindow/2 SetWindowsHookExA/4 SetWindowsHookExW/4 UnhookWindowsHookEx/1 CallNextHookEx/4
GetAsyncKeyState/1 GetKeyState/1 GetKeyboardState/1 keybd_event/4 mouse_event/5 SendMessageA/4 SendMessageW/4
PostMessageA/4 PostMessageW/4 GetMessageA/4 PeekMessageA/5 DispatchMessageA/1 TranslateMessage/1
CreateWindowExA/12 CreateWindowExW/12 DestroyWindow/1 DefWindowProcA/4 RegisterClassA/1 RegisterClassExA/1
GetWindowTextA/3 GetWindowTextW/3 SetWindowTextA/2 GetWindowThreadProcessId/2 EnumWindows/2 GetDC/1 ReleaseDC/2
GetSystemMetrics/1 OpenClipboard/1 CloseClipboard/0 GetClipboardData/1 SetClipboardData/2 EmptyClipboard/0
wsprintfA/2c wsprintfW/2c wvsprintfA/3 CharUpperA/1 CharLowerA/1 LoadStringA/4 LoadIconA/2 LoadCursorA/2
ExitWindowsEx/2 SystemParametersInfoA/4 GetCursorPos/1 SetCursorPos/2 BlockInput/1 LockWorkStation/0
GetUserObjectInformationA/5 GetUserObjectInformationW/5 GetCursorInfo/1 GetQueueStatus/1 OpenDesktopA/4 OpenWindowStationA/3 SetThreadDesktop/1 GetProcessWindowStation/0
GetThreadDesktop/1
`;

const SHELL32 = `
ShellExecuteA/6 ShellExecuteW/6 ShellExecuteExA/1 ShellExecuteExW/1 SHGetFolderPathA/5 SHGetFolderPathW/5
SHGetSpecialFolderPathA/4 SHGetSpecialFolderPathW/4 SHGetSpecialFolderLocation/3 SHGetPathFromIDListA/2
SHGetPathFromIDListW/2 SHFileOperationA/1 SHFileOperationW/1 SHCreateDirectoryExA/3 SHCreateDirectoryExW/3
SHGetKnownFolderPath/4 Shell_NotifyIconA/2 Shell_NotifyIconW/2 DragQueryFileA/4 DragQueryFileW/4 DragAcceptFiles/2
DragFinish/1 ExtractIconA/3 CommandLineToArgvW/2 IsUserAnAdmin/0 SHChangeNotify/4 SHBrowseForFolderA/1
SHEmptyRecycleBinA/3 ShellAboutA/4 FindExecutableA/3 SHGetFileInfoA/5 SHGetFileInfoW/5
`;

/** The DLLs every emulated Windows process has loaded, in load order after the executable. */
export const WINDOWS_DLLS: readonly DllDefinition[] = [
  { name: 'ntdll.dll', base32: 0x7c900000, base64: 0x77a70000, exports: NTDLL },
  { name: 'kernel32.dll', base32: 0x7c800000, base64: 0x77950000, exports: KERNEL32 },
  { name: 'kernelbase.dll', base32: 0x7c700000, base64: 0x7fefd900000, exports: KERNELBASE },
  { name: 'ws2_32.dll', base32: 0x71ab0000, base64: 0x7fefe8e0000, exports: WS2_32 },
  { name: 'wininet.dll', base32: 0x771b0000, base64: 0x7fefe6a0000, exports: WININET },
  { name: 'urlmon.dll', base32: 0x7e1a0000, base64: 0x7fefe4d0000, exports: URLMON },
  { name: 'msvcrt.dll', base32: 0x77c10000, base64: 0x7fefe420000, exports: MSVCRT },
  { name: 'advapi32.dll', base32: 0x77dd0000, base64: 0x7fefe340000, exports: ADVAPI32 },
  { name: 'user32.dll', base32: 0x7e410000, base64: 0x77850000, exports: USER32 },
  { name: 'shell32.dll', base32: 0x7c9c0000, base64: 0x7fefd9f0000, exports: SHELL32 },
];

/**
 * DLLs that are not loaded from the start but get an image when the guest loads them. Their export
 * lists are partial, so GetProcAddress still hands out a stub for other names; the listed ones
 * carry their real argument counts (stdcall stack clean-up on x86 depends on them).
 */
export const ON_DEMAND_EXPORTS: Readonly<Record<string, string>> = {
  'netapi32.dll': `
NetStatisticsGet/5 NetApiBufferFree/1 NetApiBufferAllocate/2 NetWkstaGetInfo/3 NetServerGetInfo/3 NetUserAdd/4
NetUserDel/2 NetUserEnum/8 NetUserGetInfo/4 NetLocalGroupAddMembers/5 NetLocalGroupEnum/7 NetShareEnum/7
NetShareAdd/4 NetServerEnum/9 NetSessionEnum/9 NetGetDCName/3 NetScheduleJobAdd/3 NetRemoteTOD/2
`,
};

const onDemandSpecs = new Map<string, Map<string, ExportSpec>>();

/** The argument count and convention of an export of a DLL loaded on demand, when known. */
export function onDemandExport(dll: string, name: string): ExportSpec | undefined {
  const list = ON_DEMAND_EXPORTS[dll.toLowerCase()];
  if (list === undefined) return undefined;
  let specs = onDemandSpecs.get(dll.toLowerCase());
  if (!specs) onDemandSpecs.set(dll.toLowerCase(), (specs = new Map(parseExports(list).map((spec) => [spec.name, spec]))));
  return specs.get(name);
}
