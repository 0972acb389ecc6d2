/** `--size 256M` (bytes, or K/M/G binary units) for quick runs of bench:collector; the reported run is 2G. */
export function sizeArgument(argv: readonly string[] = process.argv): string | undefined {
  const index = argv.indexOf('--size');
  if (index < 0) return undefined;
  const value = argv[index + 1];
  if (value === undefined) throw new Error('--size needs a value, e.g. --size 256M (the reported run uses 2G)');
  return value;
}

export function parseSize(text: string): number {
  const match = /^(\d+)([KMG]?)i?B?$/i.exec(text.trim());
  const units: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };
  const bytes = match ? Number(match[1]) * (units[(match[2] ?? '').toUpperCase()] ?? 1) : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1024 || bytes % 2 !== 0)
    throw new Error(`size ${text} is not an even number of bytes ≥ 1K: use e.g. 256M or 2G`);
  return bytes;
}
