import { open } from 'node:fs/promises';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** What one tokenizing pass found: it only counts, so nothing but the reading and the tokenizing is measured. */
export interface TokenCount {
  readonly bytes: number;
  readonly numbers: number;
  readonly strings: number;
  /** Sum of the numbers, so the work cannot be optimised away. */
  readonly checksum: number;
}

/**
 * bench:analysis' floor: one pass of a plain JSON tokenizer over the files, one thread, 4 MiB reads as the analysis
 * does. Numbers take a tight loop per number, strings a search for their closing quote; nothing is stored.
 */
export async function tokenizeFiles(files: readonly string[]): Promise<TokenCount> {
  let bytes = 0;
  let numbers = 0;
  let strings = 0;
  let checksum = 0;
  const buffer = Buffer.allocUnsafe(4 * 1024 * 1024);
  for (const file of files) {
    const handle = await open(file, 'r');
    let inString = false;
    let escaped = false;
    let inNumber = false;
    let value = 0;
    try {
      for (let position = 0; ; ) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
        if (bytesRead === 0) break;
        position += bytesRead;
        bytes += bytesRead;
        let i = 0;
        while (i < bytesRead) {
          if (inString) {
            for (; i < bytesRead; i++) {
              const byte = buffer[i];
              if (escaped) escaped = false;
              else if (byte === BACKSLASH) escaped = true;
              else if (byte === QUOTE) break;
            }
            if (i < bytesRead) {
              inString = false;
              strings++;
              i++;
            }
            continue;
          }
          const digit = buffer[i] - 48;
          if (digit >= 0 && digit <= 9) {
            value = value * 10 + digit;
            inNumber = true;
            for (i++; i < bytesRead; i++) {
              const next = buffer[i] - 48;
              if (next < 0 || next > 9) break;
              value = value * 10 + next;
            }
            continue;
          }
          if (inNumber) {
            numbers++;
            checksum = (checksum + value) | 0;
            value = 0;
            inNumber = false;
          }
          if (buffer[i] === QUOTE) inString = true;
          i++;
        }
      }
    } finally {
      await handle.close();
    }
  }
  return { bytes, numbers, strings, checksum };
}
