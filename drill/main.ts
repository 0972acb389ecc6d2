import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateSigningKeyPair } from '@heapwatch/agent/protocol';
import { diffSeriesFiles, renderHtml, renderMarkdown } from '../analysis';
import { captureStepToFiles } from '../collector/capture-step-to-files';
import { leakNames } from '../demo/src';
import { ALERT_NAMES, buildRuleGroups, DRILL_RULE_WINDOWS, renderRulesYaml } from '../grafana/rules/build-rules';
import { ProcessGroup } from './child-processes';
import { ensurePrometheus } from './ensure-prometheus';
import { describeHeapStatus, HeapWatch } from './heap-watch';
import { driveLoad } from './load';
import { DRILL_USAGE, type DrillOptions, parseDrillOptions } from './options';
import { mebibytes, progress } from './progress';
import { findFreePort, startPrometheus } from './prometheus-server';
import { SimulatedTaskMemory } from './simulated-task-memory';
import { waitForHttp } from './wait-for-http';

const CLUSTER = 'drill';
const SERVICE = 'demo';
const PAGES = ['/', '/products/42'];
const STEP_COUNT = 3;
/**
 * The drill compresses a leak of hours into a minute, as its alert windows do: its demo samples every 32 KiB, so the
 * few MB a step adds are hundreds of samples (the agent's default, 2 MiB, suits leaks of tens of MB per interval).
 */
const DRILL_HEAP_SAMPLING_INTERVAL_BYTES = 32 * 1024;

async function runDrill(options: DrillOptions, processes: ProcessGroup): Promise<number> {
  ensurePrometheus(progress);
  const workDir = mkdtempSync(join(tmpdir(), 'heapwatch-drill-'));
  const outDir = resolve(options.outDir);
  await mkdir(outDir, { recursive: true });
  try {
    const [sitePort, adminPort] = [await findFreePort(), await findFreePort()];
    // A pair of its own: the demo (the agent) gets the public key, the drill's captures sign with the private one.
    const keys = generateSigningKeyPair();
    const taskId = `drill-${options.leak}`;
    progress(`1/6 starting the demo service (leak: ${options.leak}) on 127.0.0.1:${sitePort}, admin port ${adminPort}`);
    const taskMemory =
      options.taskMemoryMiB === undefined
        ? undefined
        : new SimulatedTaskMemory(workDir, options.taskMemoryMiB * 1024 * 1024);
    if (taskMemory) progress(`    as if in a task with ${options.taskMemoryMiB} MiB of memory (--task-memory)`);
    const demo = processes.start(
      'demo',
      process.execPath,
      ['--import', 'tsx', resolve(__dirname, '../demo/src/main.ts')],
      {
        PORT: String(sitePort),
        HOST: '127.0.0.1',
        HEAPWATCH_ADMIN_PORT: String(adminPort),
        HEAPWATCH_ADMIN_HOST: '127.0.0.1',
        HEAPWATCH_LEAK: options.leak,
        HEAPWATCH_PUBLIC_KEYS: keys.publicKey,
        HEAPWATCH_TASK_ID: taskId,
        HEAPWATCH_HEAP_SAMPLING_INTERVAL: String(DRILL_HEAP_SAMPLING_INTERVAL_BYTES),
        ...(taskMemory
          ? {
              HEAPWATCH_DEMO_CGROUP_ROOT: taskMemory.cgroupRoot,
              HEAPWATCH_DEMO_PROC_SELF_CGROUP: taskMemory.procSelfCgroup,
            }
          : {}),
      },
    );
    progress(`    demo pid ${demo.child.pid}`);
    if (taskMemory && demo.child.pid !== undefined) {
      taskMemory.follow(demo.child.pid);
      processes.onStop(async () => taskMemory.stop());
    }
    const demoAlive = () => demo.child.exitCode === null;
    const siteUrl = `http://127.0.0.1:${sitePort}`;
    const adminUrl = `http://127.0.0.1:${adminPort}`;
    try {
      await waitForHttp(`${adminUrl}/healthz`, 'the demo admin port', 30_000, demoAlive);
      await waitForHttp(`${siteUrl}/`, 'the demo site', 30_000, demoAlive);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- demo output ---\n${demo.output()}`);
    }

    progress('2/6 starting Prometheus with the heapwatch rules (drill-only short windows)');
    const rulesFile = join(workDir, 'heapwatch.drill.rules.yml');
    writeFileSync(rulesFile, renderRulesYaml(buildRuleGroups(DRILL_RULE_WINDOWS)));
    const prometheus = await startPrometheus({
      scrapeTargets: [{ url: `${adminUrl}/metrics`, labels: { cluster: CLUSTER, service: SERVICE, task_id: taskId } }],
      rulesFiles: [rulesFile],
      scrapeInterval: '1s',
      evaluationInterval: '1s',
    });
    processes.onStop(() => prometheus.stop());
    progress(`    Prometheus at ${prometheus.url} (graphs and alerts there while the drill runs)`);
    const watch = new HeapWatch(prometheus, taskId);
    const startedAt = Date.now() / 1000;

    progress(
      `3/6 driving load like ab -c ${options.connections} -n ${options.requestsPerRound} -k on ${PAGES.join(' and ')}`,
    );
    const expectLeak = options.leak !== 'none';
    let alert: DrillAlert = { name: ALERT_NAMES.leakSuspected, fired: false, memory: [] };
    while (Date.now() / 1000 - startedAt < options.durationSeconds) {
      const round = await driveLoad(siteUrl, PAGES, options.requestsPerRound, options.connections);
      if (round.errors > 0 || round.non2xx > 0) {
        throw new Error(`the demo failed under load: ${round.errors} errors, ${round.non2xx} non-2xx answers`);
      }
      const status = await watch.status();
      progress(`4/6 ${round.requestsPerSecond} req/s · ${describeHeapStatus(status)}`);
      if (status.leakAlert === 'firing') {
        const afterSeconds = Math.round(Date.now() / 1000 - startedAt);
        alert = { ...alert, fired: true, memory: status.leakAlertMemory, afterSeconds };
        progress(
          `    ${alert.name} is firing for this task (memory=${alert.memory.join(', ')}) after ${afterSeconds} s of ` +
            'scraped data (drill-tuned windows): capturing now',
        );
        break;
      }
    }
    if (!alert.fired) {
      const outcome = options.quick
        ? '--quick cannot wait longer: capturing without the alert (run without --quick, or with a longer --duration, to see it page)'
        : 'capturing anyway, and the drill fails (give it more time with --duration)';
      progress(
        expectLeak
          ? `    no ${alert.name} within ${options.durationSeconds} s: ${outcome}`
          : `    no ${alert.name} in ${options.durationSeconds} s, as expected without a leak`,
      );
    }

    progress(
      `5/6 capturing ${STEP_COUNT} steps of ${taskId} through the collector's capture code: ` +
        'a heap profile each, and a snapshot when the agent has room',
    );
    const snapshots: string[] = [];
    const profiles: string[] = [];
    const skippedSnapshots: { step: number; reason: string; message: string }[] = [];
    for (let step = 1; step <= STEP_COUNT; step++) {
      if (step > 1) await driveLoad(siteUrl, PAGES, options.requestsPerRound, options.connections);
      const captured = await captureStepToFiles({ url: adminUrl, taskId, privateKey: keys.privateKey, outDir });
      if (captured.profile) {
        profiles.push(captured.profile.path);
        progress(`    profile ${step}/${STEP_COUNT}: ${captured.profile.path} (${mebibytes(captured.profile.bytes)})`);
      }
      if (captured.snapshot) {
        snapshots.push(captured.snapshot.path);
        progress(
          `    snapshot ${step}/${STEP_COUNT}: ${captured.snapshot.path} (${mebibytes(captured.snapshot.bytes)})`,
        );
      }
      for (const refusal of captured.refusals) {
        if (refusal.kind === 'heapsnapshot') skippedSnapshots.push({ step, ...refusal });
        progress(
          `    ${refusal.kind === 'heapsnapshot' ? 'snapshot' : 'profile'} ${step}/${STEP_COUNT} refused: ${refusal.message}`,
        );
      }
    }

    progress('6/6 analysing the series');
    // A kind with fewer than 2 captures cannot be diffed; the report says which were skipped and why.
    const report = await diffSeriesFiles([...(snapshots.length >= 2 ? snapshots : []), ...profiles], { top: 10 });
    const heapSeries = await watch.memorySeries(startedAt, Date.now() / 1000);
    const drillReport = {
      ...report,
      drill: {
        leak: options.leak,
        alert,
        taskId,
        taskMemoryMiB: options.taskMemoryMiB,
        snapshots,
        profiles,
        skippedSnapshots,
      },
    };
    await writeFile(join(outDir, 'report.json'), `${JSON.stringify(drillReport, null, 2)}\n`);
    await writeFile(join(outDir, 'report.md'), renderMarkdown(report));
    await writeFile(
      join(outDir, 'report.html'),
      renderHtml(report, { title: `heapwatch drill — ${options.leak}`, heapSeries }),
    );

    const top = report.suspects[0];
    progress(`verdict: ${report.verdict} — ${report.reasoning}`);
    if (skippedSnapshots.length > 0) {
      progress(
        `    snapshots refused in ${skippedSnapshots.length} of ${STEP_COUNT} steps: diagnosed from heap profiles`,
      );
    }
    if (top) {
      progress(`top suspect: ${top.name}, +${top.countDelta} ${top.retainerPath.length > 0 ? 'objects' : 'samples'}`);
      if (top.retainerPath.length > 0) progress(`    held by ${top.retainerPath.join(' → ')}`);
      if (top.allocationSite) {
        const site = top.allocationSite;
        progress(`    allocated in ${site.functionName || '(anonymous)'} (${site.url}:${site.line}:${site.column})`);
      }
    }
    progress(`report: ${join(outDir, 'report.html')}`);
    if (options.json) process.stdout.write(`${JSON.stringify(drillReport, null, 2)}\n`);

    const expected = expectLeak ? 'leak' : 'no-leak';
    if (expectLeak !== (report.verdict === 'leak')) {
      progress(`FAILED: expected verdict ${expected} for --leak ${options.leak}, got ${report.verdict}`);
      return 1;
    }
    if (expectLeak ? !alert.fired && !options.quick : alert.fired) {
      progress(
        expectLeak
          ? `FAILED: ${alert.name} did not fire within ${options.durationSeconds} s for --leak ${options.leak}`
          : `FAILED: ${alert.name} fired (memory=${alert.memory.join(', ')}) without a leak`,
      );
      return 1;
    }
    return 0;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** What the drill saw of the leak alert on the data Prometheus scraped from the demo. */
interface DrillAlert {
  readonly name: string;
  readonly fired: boolean;
  /** The floors it fired for (`heap`, `external`, `native`). */
  readonly memory: readonly string[];
  /** Seconds from the start of the load to the first evaluation that saw it firing. */
  readonly afterSeconds?: number;
}

async function main(): Promise<void> {
  const parsed = parseDrillOptions(process.argv.slice(2), leakNames);
  if (parsed === 'help') {
    process.stderr.write(`${DRILL_USAGE}\n`);
    return;
  }
  const processes = new ProcessGroup();
  const interrupt = (signal: NodeJS.Signals) => {
    progress(`${signal}: stopping everything the drill started`);
    processes.stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    process.exitCode = await runDrill(parsed, processes);
  } finally {
    await processes.stopAll();
  }
}

main().catch((error: unknown) => {
  progress(`FAILED: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
