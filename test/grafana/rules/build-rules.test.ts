import { RECORDED, TASK_LABELS } from '../../../grafana/queries';
import { ALERT_NAMES, buildRuleGroups, DRILL_RULE_WINDOWS } from '../../../grafana/rules/build-rules';

describe('buildRuleGroups', () => {
  it('records every concept once and aggregates alerts per task', () => {
    // Act
    const [group] = buildRuleGroups();

    // Assess
    const records = group.rules.flatMap((rule) => ('record' in rule ? [rule.record] : []));
    expect(new Set(records)).toEqual(new Set(Object.values(RECORDED)));
    const alerts = group.rules.flatMap((rule) => ('alert' in rule ? [rule] : []));
    expect(alerts.map((alert) => alert.alert)).toEqual([ALERT_NAMES.leakSuspected, ALERT_NAMES.exhaustionPredicted]);
    for (const alert of alerts) {
      expect(alert.expr).toContain(`on (${TASK_LABELS.join(', ')})`);
      expect(alert.annotations.runbook).toContain(
        'heapwatch capture --cluster {{ $labels.cluster }} --service {{ $labels.service }} --task {{ $labels.task_id }}',
      );
    }
  });

  it('puts the window parameters into the expressions (drill-only short windows)', () => {
    // Act
    const [group] = buildRuleGroups(DRILL_RULE_WINDOWS);

    // Assess
    expect(group.interval).toBe('1s');
    expect(group.rules[0]).toMatchObject({ expr: expect.stringContaining('[10s]') });
    expect(group.rules.find((rule) => 'alert' in rule)).toMatchObject({ for: '15s' });
  });

  it.each([
    [{ floorWindow: '5 minutes' }, /floorWindow must be a Prometheus duration.*received '5 minutes'/],
    [{ forDuration: '1h30m' }, /forDuration must be a Prometheus duration with one unit/],
    [{ minGrowthBytesPerHour: -1 }, /minGrowthBytesPerHour must be a positive number of bytes; received -1/],
    [{ floorDipTolerance: 1.5 }, /floorDipTolerance must be a fraction in \[0, 1\).*received 1.5/],
  ])('rejects %p with a message naming the option', (options, message) => {
    // Act
    const build = () => buildRuleGroups(options);

    // Assess
    expect(build).toThrow(message);
  });
});
