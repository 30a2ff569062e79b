import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, TRACE_FIELD, traceFields, withTrace } from '../src/logging.ts';

function capture(): { lines: Record<string, unknown>[]; stream: Writable } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { lines, stream };
}

describe('createLogger', () => {
  it('writes Cloud Logging fields: severity, message, timestamp, trace', async () => {
    const { lines, stream } = capture();
    const log = createLogger('t', { destination: stream, level: 'debug' });
    const traced = withTrace(log, 'demo', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    traced.warn({ batchId: 'b1' }, 'hello');
    log.debug('dbg');
    log.error({ password: 'hunter2' }, 'boom');
    await new Promise((r) => setImmediate(r));
    expect(lines[0]).toMatchObject({
      severity: 'WARNING',
      message: 'hello',
      batchId: 'b1',
      name: 't',
      [TRACE_FIELD]: 'projects/demo/traces/0af7651916cd43dd8448eb211c80319c',
    });
    expect(typeof lines[0]?.timestamp).toBe('string');
    expect(lines[0]).not.toHaveProperty('level');
    expect(lines[1]).toMatchObject({ severity: 'DEBUG', message: 'dbg' });
    expect(lines[2]).toMatchObject({ severity: 'ERROR', password: '[redacted]' });
  });

  it('ignores a malformed traceparent', () => {
    expect(traceFields('p', 'not-a-trace')).toEqual({});
    expect(traceFields('p', undefined)).toEqual({});
    expect(traceFields('p', '0af7651916cd43dd8448eb211c80319c')).toEqual({
      [TRACE_FIELD]: 'projects/p/traces/0af7651916cd43dd8448eb211c80319c',
    });
  });
});
