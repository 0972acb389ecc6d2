import { PROFILE_ACTION, signToken } from '@heapwatch/agent/protocol';
import { STRANGER_KEYS, TEST_KEYS } from '../../support/test-keys';
import type { RawExchange } from './raw-http';

export { seededRandom } from '../../support/seeded-random';

function randomText(random: () => number, length: number, alphabet: string): string {
  let text = '';
  for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
  return text;
}

const PRINTABLE = ' !#$%&()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~';
const HEX = '0123456789abcdef';

function randomBytes(random: () => number, length: number): Buffer {
  return Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)));
}

function request(method: string, path: string, headers: string[] = [], body = ''): string {
  return `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n${body}`;
}

export interface MalformedRequestTarget {
  /** The agent's task id; the agent trusts TEST_KEYS. */
  readonly taskId: string;
  /** A heap-profile token the agent has already accepted once: sending it again is a replay. */
  readonly spentProfileToken: string;
}

/**
 * The i-th malformed request against the admin port: never a valid token, so no capture may follow. Four in five
 * carry a v2 token the agent must refuse; the fifth is broken HTTP of one kind or another. Every one must be answered
 * 4xx.
 */
export function malformedRequest(i: number, random: () => number, target: MalformedRequestTarget): RawExchange {
  return i % 5 === 0 ? malformedHttp(i / 5, random) : refusedToken(i, random, target);
}

/**
 * Tokens that must not pass, each kind in turn: forged (signed with a key the agent does not trust), signed for
 * another task, for another action, replayed, expired, v1-shaped (malformed now), v2-shaped garbage.
 */
function refusedToken(i: number, random: () => number, target: MalformedRequestTarget): RawExchange {
  const { taskId } = target;
  const now = Math.floor(Date.now() / 1000);
  const privateKey = TEST_KEYS.privateKey;
  const tokens: Array<() => [path: string, token: string]> = [
    () => ['/heap/snapshot', signToken({ privateKey: STRANGER_KEYS.privateKey, taskId })],
    () => ['/heap/snapshot', signToken({ privateKey, taskId: `${taskId}-other` })],
    () => ['/heap/snapshot', signToken({ privateKey, taskId, action: PROFILE_ACTION })],
    () => ['/heap/profile', target.spentProfileToken],
    () => ['/heap/snapshot', signToken({ privateKey, taskId, nowSeconds: now - 3600, ttlSeconds: 60 })],
    () => ['/heap/snapshot', `Heapwatch v1.${now + 60}.${randomText(random, 32, HEX)}.${randomText(random, 64, HEX)}`],
    () => [
      '/heap/snapshot',
      `Heapwatch v2.${now + 60}.${randomText(random, 32, HEX)}.${randomBytes(random, 64).toString('base64url')}`,
    ],
  ];
  // 7 kinds and 5 are coprime, so the four token slots of every five requests cycle through all kinds.
  const [path, token] = tokens[i % tokens.length]();
  return { pieces: [request('POST', path, [`Authorization: ${token}`])] };
}

/** The k-th request that is broken as HTTP or as a request to the admin port. */
function malformedHttp(k: number, random: () => number): RawExchange {
  const now = Math.floor(Date.now() / 1000);
  switch (k % 7) {
    case 0: // random tokens
      return {
        pieces: [
          request('POST', '/heap/snapshot', [
            `Authorization: ${randomText(random, Math.floor(random() * 300), PRINTABLE)}`,
          ]),
        ],
      };
    case 1: {
      // wrong or made-up methods on the admin paths (405 or 400)
      const methods = ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'FOO', 'P0ST', 'CONNECT'];
      const paths = ['/heap/snapshot', '/metrics', '/healthz'];
      const method = methods[Math.floor(random() * methods.length)];
      const path = paths[Math.floor(random() * paths.length)];
      const allowed =
        (path === '/heap/snapshot' && method === 'POST') || (path !== '/heap/snapshot' && method === 'GET');
      return { pieces: [request(allowed ? 'DELETE' : method, path)] };
    }
    case 2: {
      // random and hostile paths (404)
      const paths = [
        `/${randomText(random, 1 + Math.floor(random() * 60), 'abcdefghijklmnopqrstuvwxyz0123456789/._-%')}`,
        '/../../etc/passwd',
        '/heap/snapshot/../../metrics/x',
        '/heap%2Fsnapshot',
        `/${'a'.repeat(4000)}`,
        'http://169.254.170.2/v4/task',
      ];
      return { pieces: [request('POST', paths[k % paths.length], ['Authorization: Heapwatch v1.1.2.3'])] };
    }
    case 3: // oversized headers (431)
      return {
        pieces: [request('POST', '/heap/snapshot', [`X-Padding: ${'p'.repeat(9000 + Math.floor(random() * 30_000))}`])],
      };
    case 4: {
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
      return { pieces: [garbage[k % garbage.length]] };
    }
    case 5: // a body nobody asked for, with a bad token (401)
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
