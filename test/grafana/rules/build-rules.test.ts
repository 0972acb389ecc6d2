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
    expect(alerts.map((alert) => alert.alert)).toEqual([
      ALERT_NAMES.leakSuspected,
      ALERT_NAMES.exhaustionPredicted,
      ALERT_NAMES.agentDown,
    ]);
    for (const alert of alerts) expect(alert.expr).toContain(`(${TASK_LABELS.join(', ')}`);
    for (const alert of alerts.slice(0, 2)) {
      expect(alert.expr).toContain(`on (${[...TASK_LABELS, 'memory'].join(', ')})`);
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
    expect(group.rules.find((rule) => 'record' in rule && rule.record === RECORDED.memoryFloorGrowth)).toMatchObject({
      expr: expect.stringContaining('[60s]'),
    });
    expect(group.rules.find((rule) => 'alert' in rule)).toMatchObject({ for: '10s' });
  });

  it.each([
    [{ growthWindow: '5 minutes' }, /growthWindow must be a Prometheus duration.*received '5 minutes'/],
    [{ forDuration: '1h30m' }, /forDuration must be a Prometheus duration with one unit/],
    [{ riseWindows: [] }, /riseWindows must list at least one Prometheus duration such as '4m'; received \[\]/],
    [{ riseWindows: ['9m', '4m'] }, /riseWindows must be ordered shortest first; received \[9m, 4m\]/],
    [{ riseWindows: ['4m', '9 m'] }, /riseWindows must be a Prometheus duration.*received '9 m'/],
    [{ minGrowthBytesPerHour: -1 }, /minGrowthBytesPerHour must be a positive number of bytes; received -1/],
  ])('rejects %p with a message naming the option', (options, message) => {
    // Act
    const build = () => buildRuleGroups(options);

    // Assess
    expect(build).toThrow(message);
  });
});
