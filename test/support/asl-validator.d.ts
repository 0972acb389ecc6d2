declare module 'asl-validator' {
  interface AslValidationError {
    readonly 'Error code': string;
    readonly Message: string;
  }

  interface AslValidationOptions {
    /** @default true */
    readonly checkPaths?: boolean;
    /** @default true */
    readonly checkArn?: boolean;
  }

  /** Validates a States Language definition (it adds `QueryLanguage` to each state of the object it is given). */
  function aslValidator(
    definition: unknown,
    options?: AslValidationOptions,
  ): { isValid: boolean; errors: AslValidationError[]; errorsText(separator?: string): string };

  export = aslValidator;
}
