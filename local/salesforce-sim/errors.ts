/** Per-record error, as in sObject Collections results and SaveResult.errors. */
export interface RecordError {
  statusCode: string;
  message: string;
  fields: string[];
}

/** Element of the error array a REST call answers with. */
export interface ApiError {
  message: string;
  errorCode: string;
  fields?: string[];
}

/** Thrown by handlers; the server turns it into the HTTP answer. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly contentType = 'application/json;charset=UTF-8',
  ) {
    super(typeof body === 'string' ? body : JSON.stringify(body));
  }
}

export function apiError(status: number, errorCode: string, message: string, fields?: string[]): HttpError {
  const item: ApiError = fields ? { message, errorCode, fields } : { message, errorCode };
  return new HttpError(status, [item]);
}

export function recordError(statusCode: string, message: string, fields: string[] = []): RecordError {
  return { statusCode, message, fields };
}

/** A single-record call reports its per-record error the REST way: 400 with an error array. */
export function asHttpError(error: RecordError, status = 400): HttpError {
  return apiError(status, error.statusCode, error.message, error.fields);
}

/** Whole-request failure raised while reading one record of a batch (JSON deserialisation). */
export class RequestFailure extends Error {
  constructor(readonly error: ApiError) {
    super(error.message);
  }
}
