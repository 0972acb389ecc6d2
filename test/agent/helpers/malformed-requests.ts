import { signToken } from '@heapwatch/agent/protocol';
import type { RawExchange } from './raw-http';

export { seededRandom } from '../../support/seeded-random';

function randomText(random: () => number, length: number, alphabet: string): string {
  let text = '';
  for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
  return text;
}

const PRINTABLE = ' !#$%&()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~';
const HEX = '0123456789abcdef';

function request(method: string, path: string, headers: string[] = [], body = ''): string {
  return `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n${body}`;
}

/**
 * The i-th malformed request against the admin port: never a valid token, so no capture may follow.
 * Every kind must be answered 4xx.
 */
export function malformedRequest(i: number, random: () => number, secret: string, taskId: string): RawExchange {
  const now = Math.floor(Date.now() / 1000);
  switch (i % 8) {
    case 0: // random tokens
      return {
        pieces: [
          request('POST', '/heap/snapshot', [
            `Authorization: ${randomText(random, Math.floor(random() * 300), PRINTABLE)}`,
          ]),
        ],
      };
    case 1: {
      // well-formed tokens that must not pass: other secret, other task, expired, forged signature
      const forged = `Heapwatch v1.${now + 60}.${randomText(random, 32, HEX)}.${randomText(random, 64, HEX)}`;
      const tokens = [
        signToken({ secret: `${secret}-other`, taskId }),
        signToken({ secret, taskId: `${taskId}-other` }),
        signToken({ secret, taskId, nowSeconds: now - 3600, ttlSeconds: 60 }),
        forged,
      ];
      return { pieces: [request('POST', '/heap/snapshot', [`Authorization: ${tokens[i % tokens.length]}`])] };
    }
    case 2: {
      // wrong or made-up methods on the admin paths (405 or 400)
      const methods = ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'FOO', 'P0ST', 'CONNECT'];
      const paths = ['/heap/snapshot', '/metrics', '/healthz'];
      const method = methods[Math.floor(random() * methods.length)];
      const path = paths[Math.floor(random() * paths.length)];
      const allowed =
        (path === '/heap/snapshot' && method === 'POST') || (path !== '/heap/snapshot' && method === 'GET');
      return { pieces: [request(allowed ? 'DELETE' : method, path)] };
    }
    case 3: {
      // random and hostile paths (404)
      const paths = [
        `/${randomText(random, 1 + Math.floor(random() * 60), 'abcdefghijklmnopqrstuvwxyz0123456789/._-%')}`,
        '/../../etc/passwd',
        '/heap/snapshot/../../metrics/x',
        '/heap%2Fsnapshot',
        `/${'a'.repeat(4000)}`,
        'http://169.254.170.2/v4/task',
      ];
      return { pieces: [request('POST', paths[i % paths.length], ['Authorization: Heapwatch v1.1.2.3'])] };
    }
    case 4: // oversized headers (431)
      return {
        pieces: [request('POST', '/heap/snapshot', [`X-Padding: ${'p'.repeat(9000 + Math.floor(random() * 30_000))}`])],
      };
    case 5: {
      // not HTTP at all, or broken HTTP (400)
      const garbage = [
        Buffer.from(randomText(random, 50, PRINTABLE)),
        Buffer.from([0, 1, 2, 3, 255, 254, 13, 10, 13, 10]),
        'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
        'POST /heap/snapshot HTTP/9.9\r\n\r\n',
        'POST /heap/snapshot HTTP/1.1\r\nAuthorization: Heapwatch v1\r\n x\r\n\r\n',
        'POST /heap/snapshot HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello',
        'POST /heap/snapshot HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      ];
      return { pieces: [garbage[i % garbage.length]] };
    }
    case 6: // a body nobody asked for, with a bad token (401)
      return {
        pieces: [
          request(
            'POST',
            '/heap/snapshot',
            ['Authorization: Heapwatch nope', 'Content-Length: 20000'],
            'b'.repeat(20_000),
          ),
        ],
      };
    default: // a trickling (slow) client with a bad token: 401 once it is done
      return {
        pieces: [...request('POST', '/heap/snapshot', [`Authorization: Heapwatch v1.${now}.x.y`])].map((c) => c),
        delayMs: 1,
      };
  }
}
