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
    expect(output).toContain('SUCCESS: 9 rules found');
  });

  it('fires on leaks in time and never on sawtooth, warm-up, bursts or deploys (generated series)', async () => {
    // Prepare
    const testFile = writePromtoolTests(workDir, RULES);

    // Act
    const output = await promtool('test', 'rules', testFile);

    // Assess
    expect(output).toContain('SUCCESS');
  });

  it('catches rules that alert too early: a 5 min `for` fires on the traffic burst', async () => {
    // Prepare
    const hastyRules = path.join(workDir, 'hasty.rules.yml');
    writeFileSync(hastyRules, renderRulesYaml(buildRuleGroups({ forDuration: '5m' })));
    const testFile = writePromtoolTests(path.join(workDir, 'hasty'), hastyRules, 'traffic bursts');

    // Act
    const outcome = promtool('test', 'rules', testFile);

    // Assess
    await expect(outcome).rejects.toThrow(/FAILED[\s\S]*ramp-burst/);
  });

  it('catches rules that trust any minimum as a floor: without the major-GC condition a slow sawtooth fires', async () => {
    // Prepare
    const gcBlindRules = path.join(workDir, 'gc-blind.rules.yml');
    writeFileSync(gcBlindRules, renderRulesYaml(buildRuleGroups({ majorGcWindow: '1d' })));
    const testFile = writePromtoolTests(path.join(workDir, 'gc-blind'), gcBlindRules, 'GC sawtooth');

    // Act
    const outcome = promtool('test', 'rules', testFile);

    // Assess
    await expect(outcome).rejects.toThrow(/FAILED[\s\S]*gc-40min/);
  });

  it('accepts the drill-only short windows', async () => {
    // Prepare
    const drillRules = path.join(workDir, 'drill.rules.yml');
    writeFileSync(drillRules, renderRulesYaml(buildRuleGroups(DRILL_RULE_WINDOWS)));

    // Act
    const output = await promtool('check', 'rules', drillRules);

    // Assess
    expect(output).toContain('SUCCESS: 9 rules found');
  });
});
