const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
const DURATION = /^(\d+)(s|m|h|d|w)$/;

/** Seconds in a single-unit Prometheus duration (`90s`, `5m`, `4h`); throws naming the option when malformed. */
export function durationSeconds(name: string, value: string): number {
  const match = DURATION.exec(value);
  if (!match) {
    throw new Error(
      `${name} must be a Prometheus duration with one unit (s, m, h, d, w) such as '5m'; received '${value}'.`,
    );
  }
  return Number(match[1]) * UNIT_SECONDS[match[2]];
}
