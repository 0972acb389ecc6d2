import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A loopback proxy in front of a real agent that flips one byte of the snapshot body, as a broken network would. */
export async function startCorruptingProxy(
  targetUrl: string,
  flipAtByte = 1000,
): Promise<{ url: string; server: Server }> {
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
        if (seen <= flipAtByte && flipAtByte < seen + chunk.length) chunk[flipAtByte - seen] ^= 0x01;
        seen += chunk.length;
        res.write(chunk);
      });
      answer.on('end', () => res.end());
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
