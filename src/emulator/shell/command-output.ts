/** What one command leaves: its two output streams and exit status. */
export interface CommandOutput {
  stdout: string;
  stderr: string;
  status: number;
}

export function succeeded(stdout = ''): CommandOutput {
  return { stdout, stderr: '', status: 0 };
}

export function failed(stderr: string, status = 1): CommandOutput {
  return { stdout: '', stderr, status };
}
