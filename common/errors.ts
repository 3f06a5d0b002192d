/** Error classes the command line maps to exit codes: bad input exits 2, anything else 1. */

/**
 * Something the user can fix by changing what they gave us: a flag, a config file, a data
 * file. The message says what is wrong; `hint` says how to fix it.
 */
export class UsageError extends Error {
  readonly hint?: string;
  constructor(message: string, options?: { hint?: string; cause?: unknown }) {
    super(
      message,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "UsageError";
    if (options?.hint !== undefined) this.hint = options.hint;
  }
}

/** A file whose bytes are not what its format promises (bad magic number, wrong length). */
export class FileFormatError extends UsageError {
  constructor(message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options);
    this.name = "FileFormatError";
  }
}

/** A provider or other facility that cannot start on this machine, with the reason. */
export class UnavailableError extends Error {
  readonly hint?: string;
  constructor(message: string, options?: { hint?: string; cause?: unknown }) {
    super(
      message,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "UnavailableError";
    if (options?.hint !== undefined) this.hint = options.hint;
  }
}

/** Formats an error for a person: message, then the hint if there is one. */
export function describeError(error: unknown): string {
  if (error instanceof UsageError || error instanceof UnavailableError) {
    return error.hint ? `${error.message}\nHINT: ${error.hint}` : error.message;
  }
  if (error instanceof Error) return error.stack ?? error.message;
  return String(error);
}
