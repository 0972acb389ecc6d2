/**
 * Until the real agent (agent/, branch issue-agent) lands: a small but real implementation of protocol v1's
 * POST /heap/snapshot — verifyToken, one capture at a time, v8.writeHeapSnapshot to a temp file, streamed and deleted.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { NonceCache, snapshotFileName, verifyToken } from '../../protocol';

export interface InterimAgentOptions {
  readonly secret: string;
  readonly previousSecret?: string;
  readonly taskId: string;
  readonly retryAfterSeconds: number;
}

export function createInterimAgent(options: InterimAgentOptions): Server {
  const nonces = new NonceCache();
  let busy = false;
  return createServer((req, res) => {
    if (req.url !== '/heap/snapshot') return void res.writeHead(404).end();
    if (req.method !== 'POST') return void res.writeHead(405).end();
    const secrets = options.previousSecret ? [options.secret, options.previousSecret] : [options.secret];
    const verdict = verifyToken(req.headers.authorization, { secrets, taskId: options.taskId, nonces });
    if (!verdict.ok) return void res.writeHead(401).end(JSON.stringify({ error: verdict.reason }));
    if (busy) {
      return void res.writeHead(409, { 'retry-after': String(options.retryAfterSeconds) }).end('{"error":"busy"}');
    }
    busy = true;
    void (async () => {
      const dir = await mkdtemp(join(tmpdir(), 'interim-agent-'));
      const at = new Date();
      const file = writeHeapSnapshot(join(dir, 'heap.heapsnapshot'));
      const sha256 = createHash('sha256')
        .update(await readFile(file))
        .digest('hex');
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': String((await stat(file)).size),
        'content-disposition': `attachment; filename="${snapshotFileName(options.taskId, at)}"`,
        'x-heapwatch-task-id': options.taskId,
        'x-heapwatch-sha256': sha256,
      });
      const body = createReadStream(file);
      body.pipe(res);
      await new Promise((resolve) => res.on('close', resolve));
      body.destroy();
      await rm(dir, { recursive: true, force: true });
      busy = false;
    })();
  });
}
