import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SamplingHeapProfile, SamplingHeapProfileNode } from '@heapwatch/agent';
import { signToken } from '@heapwatch/agent/protocol';
import { STRANGER_KEYS, TEST_KEYS } from '../support/test-keys';
import { REPO_ROOT, startNodeChild, startTsxChild, type TsxChild } from './helpers/child-process';
import { parsePrometheusText, sampleValue } from './helpers/prometheus-text';

const privateKey = TEST_KEYS.privateKey;
const taskId = 'task-profile-1';
const profileToken = () => signToken({ privateKey, taskId, action: 'heap-profile' });

function agentEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    HEAPWATCH_PUBLIC_KEYS: TEST_KEYS.publicKey,
    HEAPWATCH_TASK_ID: taskId,
    HEAPWATCH_ADMIN_PORT: '0',
    HEAPWATCH_ADMIN_HOST: '127.0.0.1',
    HEAPWATCH_HEAP_SAMPLING_INTERVAL: '16384',
    ...extra,
  };
}

function postProfile(adminUrl: string, authorization: string) {
  return fetch(`${adminUrl}/heap/profile`, { method: 'POST', headers: { authorization } });
}

function frames(node: SamplingHeapProfileNode): SamplingHeapProfileNode[] {
  return [node, ...node.children.flatMap(frames)];
}

async function profileCount(adminUrl: string, result: string) {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  return sampleValue(parsePrometheusText(text), 'heapwatch_profiles_total', { result });
}

describe('POST /heap/profile (agent in its own process)', () => {
  let service: TsxChild;

  beforeAll(async () => {
    service = await startTsxChild('test/agent/fixtures/allocating-service.ts', agentEnv());
  });
  afterAll(() => service.stop());

  it('answers the live sampled allocations as .heapprofile JSON, naming the function that allocated them', async () => {
    // Act
    const response = await postProfile(service.ready.adminUrl, profileToken());
    const body = Buffer.from(await response.arrayBuffer());
    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('content-disposition')).toMatch(
      new RegExp(`^attachment; filename="${taskId}-\\d{4}-\\d\\d-\\d\\dT[\\d-]+\\.\\d{3}Z\\.heapprofile"$`),
    );
    expect(response.headers.get('x-heapwatch-task-id')).toBe(taskId);
    expect(response.headers.get('x-heapwatch-sha256')).toBe(createHash('sha256').update(body).digest('hex'));
    const profile = JSON.parse(body.toString('utf8')) as SamplingHeapProfile;
    expect(profile.samples.length).toBeGreaterThan(0);
    const site = frames(profile.head).find((node) => node.callFrame.functionName === 'retainOrders');
    expect(site?.callFrame.url).toMatch(/allocating-service\.ts$/);
    // 50 000 orders of ~200 bytes each are alive: about 10 MB sampled under retainOrders and what it calls.
    const underSite = site ? frames(site).reduce((sum, node) => sum + node.selfSize, 0) : 0;
    expect(underSite).toBeGreaterThan(4 * 1024 * 1024);
    expect(await profileCount(service.ready.adminUrl, 'ok')).toBe(1);
  });

  it.each([
    ['no token', undefined, 'missing'],
    ['a snapshot token', signToken({ privateKey, taskId }), 'bad-signature'],
    [
      'a token for another task',
      signToken({ privateKey, taskId: 'other-task', action: 'heap-profile' }),
      'bad-signature',
    ],
    [
      'a forged token (a key the agent does not trust)',
      signToken({ privateKey: STRANGER_KEYS.privateKey, taskId, action: 'heap-profile' }),
      'bad-signature',
    ],
  ])('refuses %s with 401 and the reason', async (_name, authorization, reason) => {
    const response = await fetch(`${service.ready.adminUrl}/heap/profile`, {
      method: 'POST',
      headers: authorization ? { authorization } : {},
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: reason });
  });

  it('refuses a token used twice', async () => {
    const token = profileToken();
    expect((await postProfile(service.ready.adminUrl, token)).status).toBe(200);
    const again = await postProfile(service.ready.adminUrl, token);
    expect(again.status).toBe(401);
    expect(await again.json()).toEqual({ error: 'replayed' });
  });

  it('answers 409 busy while a snapshot is being downloaded, and 200 once it is over', async () => {
    // Prepare: a snapshot whose client does not read yet keeps the capture lock until its last chunk is handed to
    // the connection, so the heap must be larger than what loopback socket buffers absorb.
    const big = await startTsxChild('test/agent/fixtures/allocating-service.ts', agentEnv({ ORDERS: '300000' }));
    try {
      const snapshot = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
        const req = request(`${big.ready.adminUrl}/heap/snapshot`, {
          method: 'POST',
          agent: false,
          headers: { authorization: signToken({ privateKey, taskId }) },
        });
        req.on('response', resolve).on('error', reject).end();
      });
      snapshot.pause();
      // Act
      const busy = await postProfile(big.ready.adminUrl, profileToken());
      snapshot.resume();
      await new Promise((resolve) => snapshot.on('end', resolve));
      const after = await postProfile(big.ready.adminUrl, profileToken());
      // Assess
      expect(snapshot.statusCode).toBe(200);
      expect(busy.status).toBe(409);
      expect(await busy.json()).toEqual({ error: 'busy' });
      expect(Number(busy.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(after.status).toBe(200);
    } finally {
      await big.stop();
    }
  });
});

describe('POST /heap/profile with sampling off', () => {
  it('answers 503 disabled and counts it', async () => {
    const service = await startTsxChild(
      'test/agent/fixtures/allocating-service.ts',
      agentEnv({ HEAPWATCH_HEAP_SAMPLING: 'off', ORDERS: '10' }),
    );
    try {
      const response = await postProfile(service.ready.adminUrl, profileToken());
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ error: 'disabled' });
      expect(await profileCount(service.ready.adminUrl, 'disabled')).toBe(1);
    } finally {
      await service.stop();
    }
  });
});

describe('POST /heap/profile of a TypeScript service compiled with source maps', () => {
  const work = mkdtempSync(join(tmpdir(), 'heapwatch-source-maps-'));
  let service: TsxChild | undefined;

  beforeAll(async () => {
    // The agent as installed (compiled), beside the service compiled with `tsc --sourceMap`.
    const tsc = join(REPO_ROOT, 'node_modules', '.bin', 'tsc');
    const agentDir = join(work, 'node_modules', '@heapwatch', 'agent');
    mkdirSync(agentDir, { recursive: true });
    cpSync(join(REPO_ROOT, 'agent', 'package.json'), join(agentDir, 'package.json'));
    symlinkSync(join(REPO_ROOT, 'node_modules', 'prom-client'), join(work, 'node_modules', 'prom-client'));
    execFileSync(tsc, [
      '-p',
      join(REPO_ROOT, 'agent', 'tsconfig.build.json'),
      '--outDir',
      join(agentDir, 'dist', 'cjs'),
    ]);
    cpSync(join(__dirname, 'fixtures', 'source-mapped', 'orders.ts'), join(work, 'src', 'orders.ts'));
    writeFileSync(
      join(work, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          sourceMap: true,
          skipLibCheck: true,
          rootDir: 'src',
          outDir: 'out',
          types: ['node'],
          typeRoots: [join(REPO_ROOT, 'node_modules', '@types')],
        },
        files: ['src/orders.ts'],
      }),
    );
    writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'orders', private: true }));
    compile(tsc, ['-p', join(work, 'tsconfig.json')]);
    service = await startNodeChild(join(work, 'out', 'orders.js'), {
      cwd: work,
      env: agentEnv(),
      nodeArgs: ['--enable-source-maps'],
    });
  }, 60_000);
  afterAll(async () => {
    await service?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('reports the original TypeScript file and line of the allocating function (0-based, as V8 gives them)', async () => {
    // Act
    const response = await postProfile(service!.ready.adminUrl, profileToken());
    // Assess
    expect(response.status).toBe(200);
    const profile = (await response.json()) as SamplingHeapProfile;
    const site = frames(profile.head).find((node) => node.callFrame.functionName === 'holdOrders');
    expect(site?.callFrame.url).toMatch(/src\/orders\.ts$/);
    // `export function holdOrders` is line 12 of orders.ts; the compiled orders.js has it elsewhere.
    expect(site?.callFrame.lineNumber).toBe(11);
  });
});

function compile(tsc: string, args: string[]): void {
  try {
    execFileSync(tsc, args, { encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`tsc ${args.join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}
