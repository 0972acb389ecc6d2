import type { IConstruct } from 'constructs';

const HEAPWATCH_VALIDATION_ERROR = Symbol.for('heapwatch.ValidationError');

/**
 * Thrown at synthesis when the props or options of a heapwatch construct are wrong: the message names the prop, the
 * value received and the fix. Like aws-cdk-lib's own `ValidationError` (which is internal to aws-cdk-lib and not
 * for libraries), it carries the path of the construct it is about and names that construct in its stack trace.
 */
export class HeapwatchValidationError extends Error {
  /** Whether `x` is a `HeapwatchValidationError`, also when it comes from another copy of this package. */
  static isHeapwatchValidationError(x: unknown): x is HeapwatchValidationError {
    return x !== null && typeof x === 'object' && HEAPWATCH_VALIDATION_ERROR in x;
  }

  /** Always `'validation'`, like aws-cdk-lib's validation errors. */
  readonly type = 'validation';
  /** The path of the construct whose props failed validation, when there is one. */
  readonly constructPath?: string;

  constructor(message: string, scope?: IConstruct) {
    super(message);
    Object.setPrototypeOf(this, new.target.prototype);
    Object.defineProperty(this, HEAPWATCH_VALIDATION_ERROR, { value: true });
    this.name = 'HeapwatchValidationError';
    this.constructPath = scope?.node.path;
    if (scope !== undefined) {
      this.stack = `${this.stack}\nRelates to construct: ${scope.node.path || '<root>'}`;
    }
  }
}
