import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { startTsxChild, type TsxChild } from './helpers/child-process';
import { malformedRequest, seededRandom } from './helpers/malformed-requests';
import { parsePrometheusText, sampleValue } from './helpers/prometheus-text';
import { rawExchange } from './helpers/raw-http';

const secret = 'bad-input-secret-'.padEnd(48, 'z');
const taskId = 'task-bad-input';
const MALFORMED = 2400;
const STALLED = 10;

describe('bad input on the admin port while the demo serves load', () => {
  let child: TsxChild;
  let snapshotDir: string;

  beforeAll(async () => {
    snapshotDir = await mkdtemp(join(tmpdir(), 'heapwatch-bad-input-'));
    child = await startTsxChild('demo/src/main.ts', {
      PORT: '0',
      HOST: '127.0.0.1',
      HEAPWATCH_ADMIN_PORT: '0',
      HEAPWATCH_SECRET: secret,
      HEAPWATCH_TASK_ID: taskId,
      HEAPWATCH_SNAPSHOT_DIR: snapshotDir,
      HEAPWATCH_LEAK: 'none',
    });
  });

  afterAll(async () => {
    await child?.stop();
    await rm(snapshotDir, { recursive: true, force: true });
  });

  it('answers every malformed request 4xx, never captures, never crashes, and the site keeps serving', async () => {
    // Prepare
    const adminPort = Number(new URL(child.ready.adminUrl).port);
    const random = seededRandom(20261127);
    let stopLoad: () => void = () => undefined;
    const load = new Promise<autocannon.Result>((resolve, reject) => {
      const instance = autocannon(
        {
          url: child.ready.siteUrl,
          connections: 8,
          duration: 13,
          requests: [
            { method: 'GET', path: '/' },
            { method: 'GET', path: '/products/42' },
          ],
        },
        (error, result) => (error ? reject(error) : resolve(result)),
      );
      stopLoad = () => instance.stop();
    });

    // Act: stalled clients (send half a request, then nothing) and 2,400 malformed requests, 20 at a time
    const stalled = Array.from({ length: STALLED }, () =>
      rawExchange(adminPort, {
        pieces: ['POST /heap/snapshot HTTP/1.1\r\nHost: x\r\n', 'Authorization: '],
        stallAfter: 1,
      }),
    );
    const statuses: number[] = [];
    let next = 0;
    const barrage = Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < MALFORMED) {
          const i = next++;
          const status = await rawExchange(adminPort, malformedRequest(i, random, secret, taskId));
          statuses.push(status);
          if (status < 400 || status > 499) throw new Error(`malformed request #${i} got ${status}`);
        }
      }),
    );
    try {
      await barrage;
    } catch (error) {
      stopLoad();
      throw error;
    }
    const stalledStatuses = await Promise.all(stalled);
    const result = await load;

    // Assess
    expect(statuses).toHaveLength(MALFORMED);
    expect(statuses.filter((s) => s < 400 || s > 499)).toEqual([]);
    expect(new Set(statuses)).toEqual(new Set([400, 401, 404, 405, 431]));
    expect(stalledStatuses).toEqual(Array(STALLED).fill(408));
    expect([result.errors, result.timeouts, result.non2xx]).toEqual([0, 0, 0]);
    expect(result.requests.total).toBeGreaterThan(1000);
    expect(child.process.exitCode).toBeNull();
    expect((await fetch(`${child.ready.adminUrl}/healthz`)).status).toBe(200);
    const metrics = parsePrometheusText(await (await fetch(`${child.ready.adminUrl}/metrics`)).text());
    expect(sampleValue(metrics, 'heapwatch_snapshots_total', { result: 'ok' })).toBe(0);
    expect(sampleValue(metrics, 'heapwatch_snapshots_total', { result: 'unauthorized' })).toBeGreaterThan(600);
    expect(await readdir(snapshotDir)).toEqual([]);
  });
});
