import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const INSTALL_COMMAND =
  'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus';

function onPath(binary: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' }).status === 0;
}

/**
 * The drill needs a real Prometheus (Debian package `prometheus`, which brings promtool). As root on Debian/Ubuntu it
 * installs it; otherwise it says exactly how and stops.
 */
export function ensurePrometheus(log: (line: string) => void): void {
  if (onPath('prometheus') && onPath('promtool')) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && existsSync('/usr/bin/apt-get')) {
    log('prometheus is missing: installing the Debian package (about 15 s)…');
    const result = spawnSync('sh', ['-c', INSTALL_COMMAND], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (result.status === 0 && onPath('prometheus')) return;
    throw new Error(`installing prometheus failed (exit ${result.status}); run as root: ${INSTALL_COMMAND}`);
  }
  throw new Error(
    `the drill needs a real Prometheus and it is not installed.\n  On Debian/Ubuntu: sudo sh -c '${INSTALL_COMMAND}'\n` +
      '  Elsewhere: put prometheus and promtool (v2.42 or later) on your PATH.',
  );
}
