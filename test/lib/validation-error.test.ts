import { Heapwatch } from '../../lib/heapwatch';
import { HeapwatchValidationError } from '../../lib/validation-error';
import { resolveAgentContainer } from '../../lib/watch/watch-validation';
import { clusterStack, FIXTURE_RULES_FILE, plainService } from './test-app';

describe('HeapwatchValidationError', () => {
  test('carries the path of the construct whose props were wrong, in the error and its stack trace', () => {
    // Prepare
    const { stack, cluster } = clusterStack();
    const service = plainService(stack, 'Api', cluster, ['app', 'sidecar']);

    // Act
    let error: unknown;
    try {
      resolveAgentContainer(service);
    } catch (thrown) {
      error = thrown;
    }

    // Assess
    expect(error).toBeInstanceOf(HeapwatchValidationError);
    expect(HeapwatchValidationError.isHeapwatchValidationError(error)).toBe(true);
    const validation = error as HeapwatchValidationError;
    expect(validation.name).toBe('HeapwatchValidationError');
    expect(validation.type).toBe('validation');
    expect(validation.constructPath).toBe('Test/Api');
    expect(validation.message).toMatch(/^containerName: service 'Test\/Api' has 2 containers/);
    expect(validation.stack).toContain('Relates to construct: Test/Api');
  });

  test.each([
    ['signingKeys', { signingKeys: { current: 'not a name' } }, 'Test/Heapwatch/SigningKeys'],
    ['rulesFile', { rulesFile: '/nonexistent/rules.yml' }, 'Test/Heapwatch/Prometheus'],
  ])('the Heapwatch props (%s) are validated with it', (_, props, constructPath) => {
    // Prepare
    const { stack, cluster } = clusterStack();

    // Act
    let error: unknown;
    try {
      new Heapwatch(stack, 'Heapwatch', { cluster, rulesFile: FIXTURE_RULES_FILE, ...props });
    } catch (thrown) {
      error = thrown;
    }

    // Assess
    expect(error).toBeInstanceOf(HeapwatchValidationError);
    expect((error as HeapwatchValidationError).constructPath).toBe(constructPath);
  });

  test('is told apart from other errors', () => {
    expect(HeapwatchValidationError.isHeapwatchValidationError(new Error('x'))).toBe(false);
    expect(HeapwatchValidationError.isHeapwatchValidationError(undefined)).toBe(false);
    expect(new HeapwatchValidationError('no scope').constructPath).toBeUndefined();
  });
});
