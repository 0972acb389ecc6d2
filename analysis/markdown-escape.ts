/** Text from a snapshot or profile is user data: keep it from turning into Markdown or HTML. */
export function markdownText(value: string): string {
  return value.replace(/[\r\n]+/g, ' ').replace(/[\\`*_{}[\]<>|#!~&]/g, (character) => `\\${character}`);
}

/** A code span that survives backticks and pipes in the content (GFM tables). */
export function markdownCode(value: string): string {
  const flat = value.replace(/[\r\n]+/g, ' ').replace(/\|/g, '\\|');
  const longestRun = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  return `${fence} ${flat} ${fence}`;
}

/** `+3000`, `-12.0 KiB`: a delta with its sign. */
export function signed(value: number, format: (value: number) => string = String): string {
  return value > 0 ? `+${format(value)}` : format(value);
}
