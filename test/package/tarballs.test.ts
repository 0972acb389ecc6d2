import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { signToken } from '@heapwatch/agent/protocol';
import { startNodeChild, type TsxChild } from '../agent/helpers/child-process';
import { writeSnapshotSeries } from '../analysis/fixtures/write-series';
import { TEST_KEYS } from '../support/test-keys';
import { cleanEnv, freshProject, installedPackages, packPackages, type Tarballs } from './packed-packages';

/**
 * The packages as users get them: `npm pack`, then installed from the tarballs into new projects outside the
 * repository (their other dependencies come from the registry), with no TypeScript loader anywhere.
 */
const run = promisify(execFile);
const TASK_ID = 'packaged-task-1';
/** What a service's production image may hold because of the agent: the agent and prom-client's own tree. */
const AGENT_TREE = ['@heapwatch/agent', '@opentelemetry/api', 'bintrees', 'prom-client', 'tdigest'];
const NEVER_IN_A_SERVICE = /^(aws-cdk-lib|constructs|@aws-sdk\/.*|@smithy\/.*|koa|@koa\/.*|tsx|typescript|esbuild)$/;

let work: string;
let tarballs: Tarballs;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'heapwatch-packages-'));
  tarballs = await packPackages(work);
}, 300_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('@heapwatch/agent installed from its tarball', () => {
  it('installs prom-client and nothing else beside it', async () => {
    // Prepare + Act
    const project = await freshProject(join(work, 'agent-only'), undefined, [tarballs.agent]);
    // Assess
    expect(installedPackages(project)).toEqual(AGENT_TREE);
    const { stdout } = await run('du', ['-sb', join(project, 'node_modules')]);
    process.stderr.write(`@heapwatch/agent installed tree: ${Number(stdout.split('\t')[0]) / 1024} KiB\n`);
  }, 180_000);

  describe.each([
    ['a CommonJS Express service', 'express-cjs', 'server.js', 'commonjs'],
    ['an ESM Express service', 'express-esm', 'server.mjs', 'module'],
  ] as const)('embedded in %s', (_name, fixture, script, type) => {
    let service: TsxChild;

    beforeAll(async () => {
      const project = await freshProject(join(work, fixture), fixture, ['express@5.3.0', tarballs.agent], type);
      service = await startNodeChild(join(project, script), {
        cwd: project,
        baseEnv: cleanEnv(),
        env: {
          HEAPWATCH_PUBLIC_KEYS: TEST_KEYS.publicKey,
          HEAPWATCH_TASK_ID: TASK_ID,
          HEAPWATCH_ADMIN_PORT: '0',
          HEAPWATCH_ADMIN_HOST: '127.0.0.1',
        },
      });
    }, 180_000);
    afterAll(() => service?.stop());

    it('has no AWS, CDK, Koa or TypeScript loader in its installed tree', () => {
      const installed = installedPackages(join(work, fixture));
      expect(installed.filter((name) => NEVER_IN_A_SERVICE.test(name))).toEqual([]);
      expect(installed).toEqual(expect.arrayContaining(AGENT_TREE));
    });

    it('serves its own pages and the agent answers /metrics on the admin port', async () => {
      expect(await (await fetch(service.ready.siteUrl)).text()).toBe('hello');
      const metrics = await (await fetch(`${service.ready.adminUrl}/metrics`)).text();
      expect(metrics).toMatch(/^heapwatch_heap_size_limit_bytes \d+/m);
      expect(metrics).toMatch(/^nodejs_heap_space_size_used_bytes\{space="old"\} \d+/m);
    });

    it('answers a signed capture with a snapshot whose sha256 it announces', async () => {
      const response = await fetch(`${service.ready.adminUrl}/heap/snapshot`, {
        method: 'POST',
        headers: { authorization: signToken({ privateKey: TEST_KEYS.privateKey, taskId: TASK_ID }) },
      });
      const body = Buffer.from(await response.arrayBuffer());
      expect(response.status).toBe(200);
      expect(response.headers.get('x-heapwatch-sha256')).toBe(createHash('sha256').update(body).digest('hex'));
      expect(JSON.parse(body.toString('utf8')).snapshot.meta.node_fields).toContain('id');
    });

    it('refuses a token signed for another task with 401 and a reason', async () => {
      const response = await fetch(`${service.ready.adminUrl}/heap/snapshot`, {
        method: 'POST',
        headers: { authorization: signToken({ privateKey: TEST_KEYS.privateKey, taskId: 'another-task' }) },
      });
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: 'bad-signature' });
    });
  });
});

describe('heapwatch installed from its tarball into a CDK app', () => {
  let project: string;

  beforeAll(async () => {
    project = await freshProject(join(work, 'cdk-app'), 'cdk-app', [
      'aws-cdk-lib@2.276.0',
      'constructs@10.8.1',
      'typescript@7.0.2',
      '@types/node@22',
      tarballs.agent,
      tarballs.heapwatch,
    ]);
  }, 300_000);

  it('needs no esbuild: the Lambda handlers come bundled', () => {
    expect(installedPackages(project).filter((name) => name === 'esbuild' || name.startsWith('@esbuild/'))).toEqual([]);
  });

  it.each([
    ['plain JavaScript', async (out: string) => run(process.execPath, ['app.js', out], { cwd: project })],
    [
      'TypeScript',
      async (out: string) => {
        await run(join(project, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], { cwd: project });
        return run(process.execPath, [join('out', 'app.js'), out], { cwd: project });
      },
    ],
  ])(
    'synthesizes Heapwatch and watch() from %s',
    async (name, synth) => {
      // Act
      const out = join(project, `cdk.out-${name.replace(/\W/g, '')}`);
      await synth(out);
      // Assess
      const template = JSON.parse(readFileSync(join(out, 'Shop.template.json'), 'utf8')) as {
        Resources: Record<
          string,
          { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, string> }
        >;
      };
      const functions = Object.values(template.Resources).filter(
        (resource) => resource.Type === 'AWS::Lambda::Function' && resource.Properties.Handler === 'index.handler',
      );
      // trigger, discover, capture, analyze and the signing key's custom resource
      expect(functions.map((fn) => fn.Properties.Runtime)).toEqual([
        'nodejs24.x',
        'nodejs24.x',
        'nodejs24.x',
        'nodejs24.x',
        'nodejs24.x',
      ]);
      for (const fn of functions) {
        const assetHash = String((fn.Properties.Code as { S3Key: string }).S3Key).replace(/\.zip$/, '');
        const assetDir = join(out, `asset.${assetHash}`);
        expect(readFileSync(join(assetDir, 'index.js'), 'utf8').length).toBeGreaterThan(10_000);
      }
      // The analysis task's image: the bundled analysis and a Dockerfile, built by `cdk deploy`
      const images = readdirSync(out).filter((entry) => existsSync(join(out, entry, 'Dockerfile')));
      expect(images).toHaveLength(1);
      expect(readFileSync(join(out, images[0], 'index.js'), 'utf8')).toContain('HEAPWATCH_SERIES_INPUT_KEY');
      const containers = Object.values(template.Resources)
        .filter((resource) => resource.Type === 'AWS::ECS::TaskDefinition')
        .flatMap((resource) => resource.Properties.ContainerDefinitions as Array<Record<string, unknown>>);
      expect(containers).toContainEqual(
        expect.objectContaining({
          Environment: expect.arrayContaining([
            { Name: 'HEAPWATCH_ADMIN_PORT', Value: '9464' },
            expect.objectContaining({ Name: 'HEAPWATCH_PUBLIC_KEYS' }),
          ]),
        }),
      );
      // A service gets public keys only: no private key and no v1 secret, in its environment or its secrets.
      const variables = containers.flatMap((container) =>
        [container.Environment, container.Secrets].flatMap((list) => (list ?? []) as Array<{ Name: string }>),
      );
      expect(variables.map((v) => v.Name).filter((name) => /^HEAPWATCH_(PRIVATE_KEY|SECRET)/.test(name))).toEqual([]);
    },
    120_000,
  );

  it('runs `npx heapwatch diff` from the installed package, on several threads', async () => {
    // Prepare
    const series = await writeSnapshotSeries('memoize', mkdtempSync(join(work, 'series-')), 1000);
    // Act: --threads above 1 fails when the package lacks the threads' entry
    const { stdout } = await run('npx', ['heapwatch', 'diff', ...series, '--json', '--top', '3', '--threads', '3'], {
      cwd: project,
      env: cleanEnv(),
      maxBuffer: 16 * 1024 * 1024,
    });
    // Assess
    const report = JSON.parse(stdout) as { verdict: string; suspects: Array<{ name: string }> };
    expect(report.verdict).toBe('leak');
    expect(report.suspects[0].name).toBe('RenderedPage');
    expect(existsSync(join(project, 'node_modules', 'tsx'))).toBe(false);
    expect(existsSync(join(project, 'node_modules', 'heapwatch', 'dist', 'analysis', 'snapshot-worker.js'))).toBe(true);
  }, 120_000);
});
