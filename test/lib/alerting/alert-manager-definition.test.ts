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
