/** Progress goes to stderr so that `--json` keeps stdout for the report alone. */
export function progress(line: string): void {
  const time = new Date().toISOString().slice(11, 19);
  process.stderr.write(`[drill ${time}] ${line}\n`);
}

export function mebibytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
