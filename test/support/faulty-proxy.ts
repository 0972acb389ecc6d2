import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Faults {
  /** Flip one bit of the body at this offset, as a broken network would. */
  readonly flipByteAt?: number;
  /** Stop forwarding the body after this many bytes, keeping the connection open (a stalled network). */
  readonly stallAfterBytes?: number;
  /**
   * Answer the first this many snapshot requests (POST /heap/snapshot) `409 busy` with `Retry-After: 1`, as an agent
   * does while another capture runs, without passing them on. @default 0
   */
  readonly busySnapshotRequests?: number;
}

/** An answer the proxy gave, with when its head was sent (ms since the epoch). */
export interface ProxiedAnswer {
  readonly path: string;
  readonly status: number;
  readonly at: number;
}

/**
 * A loopback proxy in front of a real agent that damages or stalls the snapshot body on its way through, or answers
 * busy in its place. Records the answers it gave.
 */
export async function startFaultyProxy(
  targetUrl: string,
  faults: Faults,
): Promise<{ url: string; server: Server; answers: ProxiedAnswer[] }> {
  const answers: ProxiedAnswer[] = [];
  let busyLeft = faults.busySnapshotRequests ?? 0;
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (busyLeft > 0 && req.method === 'POST' && path === '/heap/snapshot') {
      busyLeft -= 1;
      answers.push({ path, status: 409, at: Date.now() });
      req.resume();
      res.writeHead(409, { 'Content-Type': 'application/json', 'Retry-After': '1' }).end('{"error":"busy"}');
      return;
    }
    const upstream = request(new URL(path, targetUrl), {
      method: req.method,
      headers: req.headers,
      agent: false,
    });
    upstream.on('response', (answer) => {
      answers.push({ path, status: answer.statusCode ?? 502, at: Date.now() });
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      let seen = 0;
      answer.on('data', (chunk: Buffer) => {
        const flip = faults.flipByteAt;
        if (flip !== undefined && seen <= flip && flip < seen + chunk.length) chunk[flip - seen] ^= 0x01;
        const stall = faults.stallAfterBytes;
        const forward = stall === undefined ? chunk : chunk.subarray(0, Math.max(0, stall - seen));
        seen += chunk.length;
        if (forward.length > 0) res.write(forward);
      });
      answer.on('end', () => {
        if (faults.stallAfterBytes === undefined) res.end();
      });
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, answers };
}
