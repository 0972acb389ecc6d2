import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type OutgoingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedAnswer {
  readonly status: number;
  readonly headers?: OutgoingHttpHeaders;
  readonly body?: string;
}

/**
 * A loopback HTTP server that answers POST /heap/snapshot from a script, for protocol answers a healthy agent cannot
 * be made to give on demand (503 insufficient memory, malformed headers). Records the requests it got.
 */
export async function startScriptedServer(
  answer: (index: number) => ScriptedAnswer,
): Promise<{ url: string; server: Server; requests: IncomingHttpHeaders[] }> {
  const requests: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    const reply = answer(requests.length);
    requests.push(req.headers);
    res.writeHead(reply.status, reply.headers).end(reply.body ?? '');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, requests };
}
