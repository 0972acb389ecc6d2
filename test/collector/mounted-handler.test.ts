import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAdminRequestHandler } from '@heapwatch/agent';
import { captureToFile } from '../../collector/capture-to-file';
import { TEST_KEYS } from '../support/test-keys';

describe('capturing from handlers mounted in an app', () => {
  let server: Server;
  let outDir: string;

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'heapwatch-mounted-'));
    const heapwatch = createAdminRequestHandler({
      pathPrefix: '/_heapwatch',
      publicKeys: [TEST_KEYS.publicKey],
      taskId: 'mounted-task',
      logger: { info: () => undefined, warn: () => undefined },
    });
    server = createServer((req, res) =>
      heapwatch(req, res, () => {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('the app');
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(outDir, { recursive: true, force: true });
  });

  it('posts to <adminPath>/heap/profile when the agent URL carries the prefix (what the collector builds from the tags)', async () => {
    const { port } = server.address() as AddressInfo;
    const saved = await captureToFile({
      url: `http://127.0.0.1:${port}/_heapwatch`,
      taskId: 'mounted-task',
      privateKey: TEST_KEYS.privateKey,
      outDir,
      kind: 'heapprofile',
    });
    expect(saved.bytes).toBeGreaterThan(0);
    expect(JSON.parse(await readFile(saved.path, 'utf8'))).toHaveProperty('head');
  });
});
