import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { renderAlertManagerDefinition } from '../../../lib/alerting/alert-manager-definition';

describe('renderAlertManagerDefinition', () => {
  it('wraps an Alertmanager configuration whose only receiver publishes to the topic with SigV4', () => {
    // Act
    const definition = parse(
      renderAlertManagerDefinition({ topicArn: 'arn:aws:sns:eu-west-1:111122223333:alarms', region: 'eu-west-1' }),
    );
    const config = parse(definition.alertmanager_config);
    // Assess
    expect(config.route).toMatchObject({
      receiver: 'heapwatch-sns',
      group_by: ['alertname', 'cluster', 'service', 'task_id'],
    });
    expect(config.receivers).toEqual([
      {
        name: 'heapwatch-sns',
        sns_configs: [
          expect.objectContaining({
            topic_arn: 'arn:aws:sns:eu-west-1:111122223333:alarms',
            sigv4: { region: 'eu-west-1' },
            subject: expect.stringContaining('{{ .CommonLabels.alertname }}'),
            attributes: expect.objectContaining({ source: 'heapwatch', protocol: 'v1' }),
          }),
        ],
      },
    ]);
  });
});

describe('renderAlertManagerDefinition with a real Alertmanager (amtool, Debian prometheus-alertmanager)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'heapwatch-am-'));

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function checkConfig(config: string): { ok: boolean; output: string } {
    const file = path.join(dir, 'alertmanager.yml');
    writeFileSync(file, config);
    try {
      return { ok: true, output: execFileSync('amtool', ['check-config', file], { encoding: 'utf8' }) };
    } catch (error) {
      const failure = error as { stdout?: string; stderr?: string; code?: string };
      if (failure.code === 'ENOENT') {
        throw new Error('amtool not found: apt-get install -y --no-install-recommends prometheus-alertmanager');
      }
      return { ok: false, output: `${failure.stdout ?? ''}${failure.stderr ?? ''}` };
    }
  }

  it('accepts the generated configuration, SNS receiver with SigV4 included', () => {
    const { alertmanager_config: config } = parse(
      renderAlertManagerDefinition({ topicArn: 'arn:aws:sns:eu-west-1:111122223333:alarms', region: 'eu-west-1' }),
    );
    const result = checkConfig(config);
    expect(result.output).toContain('SUCCESS');
    expect(result.ok).toBe(true);
  });

  it('is a check that can fail: a misspelled SNS field is rejected', () => {
    const { alertmanager_config: config } = parse(
      renderAlertManagerDefinition({ topicArn: 'arn:aws:sns:eu-west-1:111122223333:alarms', region: 'eu-west-1' }),
    );
    expect(checkConfig(config.replace('topic_arn:', 'topic_name:')).ok).toBe(false);
  });
});
