import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROFILE_ACTION, signToken } from '@heapwatch/agent/protocol';
import autocannon from 'autocannon';
import { TEST_KEYS } from '../support/test-keys';
import { startTsxChild, type TsxChild } from './helpers/child-process';
import { malformedRequest, seededRandom } from './helpers/malformed-requests';
import { parsePrometheusText, sampleValue } from './helpers/prometheus-text';
import { rawExchange } from './helpers/raw-http';

const taskId = 'task-bad-input';
/** 10,000 of them carry a v2 token the agent must refuse (malformed-requests.ts). */
const MALFORMED = 12_500;
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
      HEAPWATCH_PUBLIC_KEYS: TEST_KEYS.publicKey,
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
    // A token used once, so that sending it again is a replay (a heap profile: no snapshot may be captured)
    const spentProfileToken = signToken({ privateKey: TEST_KEYS.privateKey, taskId, action: PROFILE_ACTION });
    const spent = await fetch(`${child.ready.adminUrl}/heap/profile`, {
      method: 'POST',
      headers: { authorization: spentProfileToken },
    });
    expect(spent.status).toBe(200);
    await spent.arrayBuffer();
    let stopLoad: () => void = () => undefined;
    const load = new Promise<autocannon.Result>((resolve, reject) => {
      const instance = autocannon(
        {
          url: child.ready.siteUrl,
          connections: 8,
          // Runs until the barrage is over (stopped below); the bound only ends a run that hangs.
          duration: 600,
          requests: [
            { method: 'GET', path: '/' },
            { method: 'GET', path: '/products/42' },
          ],
        },
        (error, result) => (error ? reject(error) : resolve(result)),
      );
      stopLoad = () => instance.stop();
    });

    // Act: stalled clients (send half a request, then nothing) and 12,500 malformed requests, 20 at a time,
    // while the site serves load
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
          const status = await rawExchange(adminPort, malformedRequest(i, random, { taskId, spentProfileToken }));
          statuses.push(status);
          if (status < 400 || status > 499) throw new Error(`malformed request #${i} got ${status}`);
        }
      }),
    );
    try {
      await barrage;
    } finally {
      stopLoad();
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
    expect(sampleValue(metrics, 'heapwatch_profiles_total', { result: 'ok' })).toBe(1);
    expect(sampleValue(metrics, 'heapwatch_profiles_total', { result: 'unauthorized' })).toBeGreaterThan(0);
    expect(await readdir(snapshotDir)).toEqual([]);
  }, 300_000);
});
