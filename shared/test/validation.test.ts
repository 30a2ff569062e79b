import Type from 'typebox';
import { describe, expect, it } from 'vitest';
import { compileChecker, EdgeflowError, ErrorCodes, formatProblems, isEdgeflowError } from '../src/index.ts';

const Point = Type.Object(
  { x: Type.Integer({ minimum: 0 }), label: Type.String({ minLength: 1 }) },
  { additionalProperties: false },
);
const points = compileChecker<{ x: number; label: string }>(Point, 'point');

describe('compileChecker', () => {
  it('check is a type guard that returns booleans only', () => {
    expect(points.check({ x: 1, label: 'a' })).toBe(true);
    expect(points.check({ x: -1, label: 'a' })).toBe(false);
    expect(points.check(null)).toBe(false);
    expect(points.check(undefined)).toBe(false);
  });

  it('problems lists every problem as JSON pointer + readable message, empty when valid', () => {
    expect(points.problems({ x: 1, label: 'a' })).toEqual([]);
    const found = points.problems({ x: -1, label: '', extra: 1 });
    expect(found).toHaveLength(4);
    expect(found).toEqual(
      expect.arrayContaining([
        { path: '/x', message: expect.stringMatching(/0/) },
        { path: '/label', message: expect.stringMatching(/fewer than 1 characters/) },
        { path: '/extra', message: 'is not allowed here' },
        { path: '/', message: 'must not have additional properties' },
      ]),
    );
    expect(points.problems('x')).toEqual([{ path: '/', message: expect.stringMatching(/object/) }]);
  });

  it('parse returns the value itself when valid', () => {
    const value = { x: 3, label: 'b' };
    expect(points.parse(value)).toBe(value);
  });

  it('parse throws EDGEFLOW_VALIDATION naming the thing and every problem', () => {
    let caught: unknown;
    try {
      points.parse({ x: 1.5 }, 'origin');
    } catch (err) {
      caught = err;
    }
    expect(isEdgeflowError(caught, ErrorCodes.VALIDATION)).toBe(true);
    const err = caught as EdgeflowError;
    expect(err.name).toBe('EdgeflowError');
    expect(err.message).toMatch(/^invalid origin: /);
    expect(err.problems.map((p) => p.path)).toEqual(['/', '/x']);
    for (const p of err.problems) expect(err.message).toContain(`${p.path} ${p.message}`);
    expect(() => points.parse(7)).toThrow(/^invalid point: /);
  });
});

describe('formatProblems', () => {
  it('joins every problem on one line, or returns the prefix alone', () => {
    expect(formatProblems('invalid config', [])).toBe('invalid config');
    expect(
      formatProblems('invalid config', [
        { path: '/port', message: 'must be integer' },
        { path: '/host', message: 'must be string' },
      ]),
    ).toBe('invalid config: /port must be integer; /host must be string');
  });
});

describe('EdgeflowError', () => {
  it('carries a stable code, problems and cause', () => {
    const cause = new Error('disk');
    const err = new EdgeflowError(ErrorCodes.RULE_INVALID, 'bad', {
      cause,
      problems: [{ path: '/a', message: 'm' }],
    });
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('EDGEFLOW_RULE_INVALID');
    expect(err.cause).toBe(cause);
    expect(err.problems).toHaveLength(1);
    expect(new EdgeflowError(ErrorCodes.VALIDATION, 'x').problems).toEqual([]);
    expect(isEdgeflowError(err)).toBe(true);
    expect(isEdgeflowError(err, ErrorCodes.VALIDATION)).toBe(false);
    expect(isEdgeflowError(new Error('x'))).toBe(false);
  });

  it('uses the EDGEFLOW_ prefix for every code, with no two alike', () => {
    const codes = Object.values(ErrorCodes);
    for (const code of codes) expect(code).toMatch(/^EDGEFLOW_[A-Z_]+$/);
    expect(new Set(codes).size).toBe(codes.length);
  });
});

describe('compileChecker: every problem, not the first eight', () => {
  it('lists all problems of a value with many', () => {
    const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
    const schema = Type.Object(Object.fromEntries(keys.map((k) => [k, Type.Integer()])));
    const checker = compileChecker(schema, 'wide');
    const bad = Object.fromEntries(keys.map((k) => [k, 'x']));
    expect(checker.problems(bad)).toHaveLength(20);
  });
});
