import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import autocannon from 'autocannon';
import { type DemoService, startDemo } from '../../demo/src';
import { type PrometheusServer, startPrometheus } from '../../drill/prometheus-server';
import { NODE_HEAP_DASHBOARD_FILE } from '../../grafana/artifacts';
import { RECORDED, recordedConcepts } from '../../grafana/queries';
import { buildRuleGroups, DRILL_RULE_WINDOWS, renderRulesYaml } from '../../grafana/rules/build-rules';

/**
 * The leaky demo scraped by a real Prometheus with the drill-short rules: every recording rule must produce series
 * and every query of the committed dashboard must return data, with the labels the scraper adds.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const TASK = { cluster: 'drill', service: 'demo-shop', task_id: 'task-0123456789abcdef' } as const;
const CONTAINER_LIMIT_BYTES = 2 * 1024 ** 3;
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

interface DashboardJson {
  readonly panels: { readonly title: string; readonly targets: { readonly expr: string; readonly refId: string }[] }[];
  readonly annotations: { readonly list: { readonly name: string; readonly expr: string }[] };
  readonly templating: { readonly list: { readonly name: string; readonly type: string; readonly query: unknown }[] };
}

/** What Grafana would send with the variables set to this task. */
function substituteVariables(expr: string): string {
  return expr
    .replaceAll('$cluster', TASK.cluster)
    .replaceAll('$service', TASK.service)
    .replaceAll('$task_id', TASK.task_id)
    .replaceAll('$__rate_interval', '10s');
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

describe('dashboard and rules against a real Prometheus scraping the leaky demo', () => {
  let workDir: string;
  let demo: DemoService | undefined;
  let prometheus: PrometheusServer | undefined;
  let load: Promise<autocannon.Result> | undefined;
  const dashboard = JSON.parse(readFileSync(path.join(ROOT, NODE_HEAP_DASHBOARD_FILE), 'utf8')) as DashboardJson;

  beforeAll(async () => {
    workDir = mkdtempSync(path.join(tmpdir(), 'heapwatch-live-'));
    // This host's cgroup has no memory limit; a cgroup v2 directory like a Fargate task's gives the agent one.
    const cgroupRoot = path.join(workDir, 'cgroup');
    const procSelfCgroup = path.join(workDir, 'proc-self-cgroup');
    mkdirSync(cgroupRoot);
    writeFileSync(path.join(cgroupRoot, 'memory.max'), `${CONTAINER_LIMIT_BYTES}\n`);
    writeFileSync(path.join(cgroupRoot, 'memory.current'), `${300 * 1024 ** 2}\n`);
    writeFileSync(procSelfCgroup, '0::/\n');

    demo = await startDemo({
      port: 0,
      adminPort: 0,
      leak: 'memoize',
      taskId: TASK.task_id,
      admin: { cgroupRoot, procSelfCgroup, logger: quiet },
    });
    const rulesFile = path.join(workDir, 'heapwatch.drill.rules.yml');
    writeFileSync(rulesFile, renderRulesYaml(buildRuleGroups(DRILL_RULE_WINDOWS)));
    prometheus = await startPrometheus({
      scrapeTargets: [{ url: `${demo.adminUrl}/metrics`, labels: TASK }],
      rulesFiles: [rulesFile],
      scrapeInterval: '1s',
      evaluationInterval: '1s',
    });
    load = autocannon({
      url: demo.siteUrl,
      connections: 4,
      duration: 12,
      requests: [
        { method: 'GET', path: '/products/7' },
        { method: 'GET', path: '/' },
      ],
    });
  });

  afterAll(async () => {
    await load?.catch(() => undefined);
    await prometheus?.stop();
    await demo?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('labels scraped series with cluster, service and task_id through relabelling', async () => {
    // Act
    const samples = await waitFor(
      'the first scrape',
      async () => {
        const result = await prometheus!.query('nodejs_heap_space_size_used_bytes{space="old"}');
        return result.length > 0 ? result : undefined;
      },
      15_000,
    );

    // Assess
    expect(samples).toHaveLength(1);
    expect(samples[0].metric).toMatchObject({ ...TASK, instance: TASK.task_id, job: 'heapwatch' });
    expect(Object.keys(samples[0].metric).some((label) => label.startsWith('__meta_'))).toBe(false);
  });

  it('produces series for every recording rule (the recent rise exists only while a floor rises)', async () => {
    // Prepare
    const concepts = recordedConcepts({ ...DRILL_RULE_WINDOWS, minGrowthBytesPerSecond: 1 });
    const expected = concepts
      .filter((concept) => concept.record !== RECORDED.memoryFloorRecentRise)
      .map((concept) => ({
        record: concept.record,
        selector: `${concept.record}{${Object.entries(concept.labels ?? {})
          .map(([name, value]) => `${name}="${value}"`)
          .join(',')}}`,
      }));

    // Act: the floors are recorded at major GCs, and 12 s of load need not cause one on an idle machine (young
    // generation scavenges may be all it takes), so a mark-compact is forced while waiting, as a busy service has.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    let missing: string[] = [];
    const found = await waitFor(
      'every recorded series',
      async () => {
        gc();
        const results = await Promise.all(expected.map((entry) => prometheus!.query(entry.selector)));
        missing = expected.filter((_entry, index) => results[index].length === 0).map((entry) => entry.selector);
        return missing.length === 0 ? results : undefined;
      },
      60_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; missing: ${missing.join(', ')}`);
    });

    // Assess
    for (const result of found) expect(result[0].metric).toMatchObject(TASK);
    const [floor] = await prometheus!.query(`${RECORDED.memoryFloor}{memory="heap"}`);
    expect(floor.value).toBeGreaterThan(1024 ** 2);
  }, 90_000);

  it('returns data for every query of every dashboard panel, with the variables set to the task', async () => {
    // Prepare
    const queries = dashboard.panels.flatMap((panel) =>
      panel.targets.map((target) => ({
        panel: panel.title,
        refId: target.refId,
        expr: substituteVariables(target.expr),
      })),
    );
    expect(queries.length).toBeGreaterThanOrEqual(15);

    const withoutData = async () => {
      const results = await Promise.all(queries.map((query) => prometheus!.query(query.expr)));
      return queries.filter((_query, index) => results[index].length === 0);
    };

    // Act
    await waitFor(
      'data for every panel query',
      async () => ((await withoutData()).length === 0 ? true : undefined),
      60_000,
    ).catch(() => undefined);
    const empty = await withoutData();

    // Assess
    expect(empty).toEqual([]);
  }, 90_000);

  it('has valid PromQL in its variables and annotations', async () => {
    // Prepare
    const variableQueries = dashboard.templating.list
      .filter((variable) => variable.type === 'query')
      .map((variable) => {
        const match = /^label_values\((.+), (\w+)\)$/.exec(substituteVariables(String(variable.query)));
        if (!match) throw new Error(`Variable ${variable.name} is not label_values(selector, label)`);
        return { label: match[2], expr: `count by (${match[2]}) (${match[1]})` };
      });

    // Act
    const values = await Promise.all(variableQueries.map((query) => prometheus!.query(query.expr)));
    const annotations = await Promise.all(
      dashboard.annotations.list.map((annotation) => prometheus!.query(substituteVariables(annotation.expr))),
    );

    // Assess
    expect(variableQueries.map((query) => query.label)).toEqual(['cluster', 'service', 'task_id']);
    values.forEach((result, index) => {
      expect(result.map((sample) => sample.metric[variableQueries[index].label])).toEqual([
        TASK[variableQueries[index].label as keyof typeof TASK],
      ]);
    });
    expect(annotations).toHaveLength(1);
    expect(Array.isArray(annotations[0])).toBe(true);
  });
});
