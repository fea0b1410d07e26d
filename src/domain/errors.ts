/** Coded errors: stable codes for machines, plain messages for people. */
export const ErrorCodes = {
  CONFIG_INVALID: 'ALPR_E_CONFIG_INVALID',
  CONFIG_READ: 'ALPR_E_CONFIG_READ',
  SECRET_MISSING: 'ALPR_E_SECRET_MISSING',
  KEY_UNSEAL: 'ALPR_E_KEY_UNSEAL',
  HOTLIST_KEY: 'ALPR_E_HOTLIST_KEY',
  /** A roster copy's PIN key does not open with this unit's key (or none could be made for a unit). */
  ROSTER_KEY: 'ALPR_E_ROSTER_KEY',
  MODEL_LOAD: 'ALPR_E_MODEL_LOAD',
  /** A model file that is missing, or is not a model at all: a restart does not mend it. */
  MODEL_FILE: 'ALPR_E_MODEL_FILE',
  CAMERA: 'ALPR_E_CAMERA',
  GPS: 'ALPR_E_GPS',
  HOTLIST: 'ALPR_E_HOTLIST',
  HOTLIST_SIGNATURE: 'ALPR_E_HOTLIST_SIGNATURE',
  STORE: 'ALPR_E_STORE',
  SYNC: 'ALPR_E_SYNC',
  STAGE_START: 'ALPR_E_STAGE_START',
  INPUT: 'ALPR_E_INPUT',
  HOTLIST_VERSION: 'ALPR_E_HOTLIST_VERSION',
  HOTLIST_CSV: 'ALPR_E_HOTLIST_CSV',
  HOTLIST_ENTRY: 'ALPR_E_HOTLIST_ENTRY',
  CENTRAL_RETENTION: 'ALPR_E_CENTRAL_RETENTION',
  CENTRAL_STORE: 'ALPR_E_CENTRAL_STORE',
  /** A call a recognizer of this role cannot answer (a screen worker asked to read a crop). */
  RECOGNIZER_ROLE: 'ALPR_E_RECOGNIZER_ROLE',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class AlprError extends Error {
  readonly code: ErrorCode;
  readonly details: readonly string[];
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: string[] }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AlprError';
    this.code = code;
    this.details = options?.details ?? [];
  }
}

export class ConfigError extends AlprError {
  constructor(message: string, details: string[]) {
    super(ErrorCodes.CONFIG_INVALID, message, { details });
    this.name = 'ConfigError';
  }
}

export function isAlprError(e: unknown): e is AlprError {
  return e instanceof AlprError;
}
