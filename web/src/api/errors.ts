// What can go wrong talking to the server, mapped once so every screen reacts the same:
// a problem+json answer becomes an ApiError with its fields; no answer at all becomes
// Unreachable (the field case: the network is gone, the write goes to the outbox).

export interface FieldError {
  field: string
  code: string
  message: string
}

export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  errors?: FieldError[]
  allowed?: string[]
}

export class ApiError extends Error {
  readonly status: number
  readonly problem: Problem
  constructor(problem: Problem) {
    super(problem.detail || problem.title)
    this.status = problem.status
    this.problem = problem
  }
  /** The stable part of the problem type, e.g. `validation`, `conflict`. */
  get kind(): string {
    return this.problem.type.replace('urn:anju:problem:', '')
  }
}

/** The server could not be reached (offline, DNS, refused, timed out). */
export class Unreachable extends Error {
  constructor(cause?: unknown) {
    super('server unreachable')
    this.cause = cause
  }
}

/** Builds the error for a response that is not 2xx, whatever its body. */
export async function problemFrom(res: Response): Promise<ApiError> {
  let body: unknown = null
  try {
    body = await res.json()
  } catch {
    body = null
  }
  const b = (body ?? {}) as Partial<Problem>
  return new ApiError({
    type: typeof b.type === 'string' ? b.type : `urn:anju:problem:http-${res.status}`,
    title: typeof b.title === 'string' ? b.title : res.statusText,
    status: res.status,
    detail: typeof b.detail === 'string' ? b.detail : '',
    errors: Array.isArray(b.errors) ? b.errors : undefined,
    allowed: Array.isArray(b.allowed) ? b.allowed : undefined,
  })
}

/**
 * The field errors of a validation problem keyed by field path, for showing each beside
 * its input. `members[0].birth_date` stays as is; several errors on a field are joined.
 */
export function fieldErrors(e: unknown): Record<string, FieldError[]> {
  const out: Record<string, FieldError[]> = {}
  if (!(e instanceof ApiError) || !e.problem.errors) return out
  for (const fe of e.problem.errors) {
    ;(out[fe.field] ??= []).push(fe)
  }
  return out
}

/** The i18n key for an error's message: known codes are translated, others fall back. */
export function errorKey(e: unknown): string {
  if (e instanceof Unreachable) return 'error.unreachable'
  if (e instanceof ApiError) {
    const known = ['validation', 'unauthenticated', 'forbidden', 'not-found', 'conflict', 'too-many-requests', 'payload-too-large', 'unavailable', 'internal', 'bad-request']
    return known.includes(e.kind) ? `error.${e.kind}` : 'error.unknown'
  }
  return 'error.unknown'
}
