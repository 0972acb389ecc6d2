import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { RULES_FILE } from '../../../grafana/artifacts';
import { buildRuleGroups, DRILL_RULE_WINDOWS, renderRulesYaml } from '../../../grafana/rules/build-rules';
import { writePromtoolTests } from '../../../grafana/rules/promtool-tests/write';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..', '..');
const RULES = path.join(ROOT, RULES_FILE);

async function promtool(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run('promtool', args, { maxBuffer: 16 * 1024 * 1024 });
    return stdout + stderr;
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (failure.code === 'ENOENT') {
      throw new Error(
        'promtool not found on PATH: install the Debian package `prometheus` ' +
          '(apt-get install -y --no-install-recommends prometheus).',
      );
    }
    throw new Error(`promtool ${args.join(' ')} failed:\n${failure.stdout ?? ''}${failure.stderr ?? ''}`);
  }
}

describe('heapwatch rules under promtool', () => {
  let workDir: string;

  beforeAll(() => {
    workDir = mkdtempSync(path.join(tmpdir(), 'heapwatch-promtool-'));
  });

  afterAll(() => {
    rmSync(workDir, { recursive: true, force: true });
  });

  it('passes promtool check rules', async () => {
    // Act
    const output = await promtool('check', 'rules', RULES);

    // Assess
    expect(output).toContain('SUCCESS: 13 rules found');
  });

  it('pages on every leak in time (heap, large objects, external, native; major GC every 1-15 min) and never on a control', async () => {
    // Prepare
    const testFile = writePromtoolTests(workDir, RULES);

    // Act
    const output = await promtool('test', 'rules', testFile);

    // Assess
    expect(output).toContain('SUCCESS');
  }, 300_000);

  it('catches rules that alert too early: a 5 min `for` fires on a traffic burst', async () => {
    // Prepare
    const hastyRules = path.join(workDir, 'hasty.rules.yml');
    writeFileSync(hastyRules, renderRulesYaml(buildRuleGroups({ forDuration: '5m' })));
    const testFile = writePromtoolTests(path.join(workDir, 'hasty'), hastyRules, 'traffic bursts');

    // Act
    const outcome = promtool('test', 'rules', testFile);

    // Assess
    await expect(outcome).rejects.toThrow(/FAILED[\s\S]*ramp-burst-gc1/);
  });

  it('catches rules blind to the GC period: one short rise window never sees a leak between rare major GCs', async () => {
    // Prepare
    const gcBlindRules = path.join(workDir, 'gc-blind.rules.yml');
    writeFileSync(gcBlindRules, renderRulesYaml(buildRuleGroups({ riseWindows: ['4m'] })));
    const testFile = writePromtoolTests(path.join(workDir, 'gc-blind'), gcBlindRules, 'in 10 h');

    // Act
    const outcome = promtool('test', 'rules', testFile);

    // Assess
    await expect(outcome).rejects.toThrow(/FAILED[\s\S]*old-10h-gc15/);
  }, 300_000);

  it('catches rules that take two far-apart GC steps of a cache fill for a leak (no sustain for rare GCs)', async () => {
    // Prepare
    const unsustainedRules = path.join(workDir, 'unsustained.rules.yml');
    writeFileSync(unsustainedRules, renderRulesYaml(buildRuleGroups({ rareGcSustain: '0s' })));
    const testFile = writePromtoolTests(path.join(workDir, 'unsustained'), unsustainedRules, 'cache fill');

    // Act
    const outcome = promtool('test', 'rules', testFile);

    // Assess
    await expect(outcome).rejects.toThrow(/FAILED[\s\S]*cache-fill-gc15/);
  });

  it('catches rules without a warm-up: a slowly warming task pages', async () => {
    // Prepare
    const eagerRules = path.join(workDir, 'eager.rules.yml');
    writeFileSync(eagerRules, renderRulesYaml(buildRuleGroups({ warmupDuration: '1m' })));
    const testFile = writePromtoolTests(path.join(workDir, 'eager'), eagerRules, 'warm-up');

    // Act
    const outcome = promtool('test', 'rules', testFile);

    // Assess
    await expect(outcome).rejects.toThrow(/FAILED[\s\S]*warm-slow/);
  });

  it('accepts the drill-only short windows', async () => {
    // Prepare
    const drillRules = path.join(workDir, 'drill.rules.yml');
    writeFileSync(drillRules, renderRulesYaml(buildRuleGroups(DRILL_RULE_WINDOWS)));

    // Act
    const output = await promtool('check', 'rules', drillRules);

    // Assess
    expect(output).toContain('SUCCESS: 13 rules found');
  });
});
