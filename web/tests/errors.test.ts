import { describe, expect, it } from 'vitest'
import { ApiError, Unreachable, errorKey, fieldErrors, problemFrom } from '../src/api/errors'

const problem = (status: number, body: unknown, type = 'application/problem+json') =>
  new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': type } })

describe('API error mapping', () => {
  it('maps a validation problem to errors by field', async () => {
    const e = await problemFrom(
      problem(422, {
        type: 'urn:anju:problem:validation', title: 'Invalid input', status: 422, detail: '2 invalid',
        errors: [
          { field: 'phone', code: 'invalid_phone', message: 'not a phone number' },
          { field: 'members[0].birth_date', code: 'in_future', message: 'is in the future' },
          { field: 'phone', code: 'too_long', message: 'too long' },
        ],
      }),
    )
    expect(e).toBeInstanceOf(ApiError)
    expect(e.kind).toBe('validation')
    const f = fieldErrors(e)
    expect(Object.keys(f).sort()).toEqual(['members[0].birth_date', 'phone'])
    expect(f.phone.map((x) => x.code)).toEqual(['invalid_phone', 'too_long'])
    expect(errorKey(e)).toBe('error.validation')
  })

  it('keeps a conflict’s allowed actions', async () => {
    const e = await problemFrom(problem(409, { type: 'urn:anju:problem:conflict', title: 'Conflict', status: 409, detail: 'no', allowed: ['verify'] }))
    expect(e.problem.allowed).toEqual(['verify'])
    expect(errorKey(e)).toBe('error.conflict')
  })

  it('copes with a body that is not problem+json', async () => {
    const e = await problemFrom(problem(502, '<html>bad gateway</html>', 'text/html'))
    expect(e.status).toBe(502)
    expect(e.kind).toBe('http-502')
    expect(errorKey(e)).toBe('error.unknown')
    expect(fieldErrors(e)).toEqual({})
  })

  it('names an unreachable server as such', () => {
    expect(errorKey(new Unreachable())).toBe('error.unreachable')
    expect(errorKey(new Error('x'))).toBe('error.unknown')
  })
})
