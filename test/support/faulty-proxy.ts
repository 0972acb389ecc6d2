import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Faults {
  /** Flip one bit of the body at this offset, as a broken network would. */
  readonly flipByteAt?: number;
  /** Stop forwarding the body after this many bytes, keeping the connection open (a stalled network). */
  readonly stallAfterBytes?: number;
}

/** A loopback proxy in front of a real agent that damages or stalls the snapshot body on its way through. */
export async function startFaultyProxy(targetUrl: string, faults: Faults): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const upstream = request(new URL(req.url ?? '/', targetUrl), {
      method: req.method,
      headers: req.headers,
      agent: false,
    });
    upstream.on('response', (answer) => {
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
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
