/**
 * What an admin did wrong, as opposed to what broke: the CLI turns `not_found` and `invalid`
 * into exit code 3 and `conflict` (the request clashes with what exists: already registered,
 * still paired, changed concurrently) into 4.
 */
export type AdminErrorCode = 'invalid' | 'not_found' | 'conflict';

export class AdminError extends Error {
  readonly code: AdminErrorCode;

  constructor(message: string, code: AdminErrorCode = 'invalid') {
    super(message);
    this.name = 'AdminError';
    this.code = code;
  }
}
