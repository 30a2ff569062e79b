import Type from 'typebox';
import { describe, expect, it } from 'vitest';
import { buildConfig, deepFreeze, type EdgeflowError } from '../src/index.ts';

const Schema = Type.Object(
  {
    gatewayId: Type.String(),
    password: Type.Optional(Type.String()),
    mqtt: Type.Object(
      {
        port: Type.Integer({ minimum: 0, maximum: 65_535, default: 1883 }),
        host: Type.String({ default: '127.0.0.1' }),
      },
      { default: {}, additionalProperties: false },
    ),
    outbox: Type.Object({
      dir: Type.String(),
      maxBytes: Type.Integer({ minimum: 1, default: 1_000_000 }),
      fsync: Type.Boolean({ default: true }),
    }),
    tags: Type.Array(Type.String(), { default: [] }),
  },
  { additionalProperties: false },
);

const file = { gatewayId: 'gw-1', outbox: { dir: '/var/lib/edgeflow' } };

function failure(run: () => unknown): EdgeflowError {
  try {
    run();
  } catch (err) {
    return err as EdgeflowError;
  }
  throw new Error('expected buildConfig to throw');
}

describe('buildConfig', () => {
  it('fills schema defaults, nested ones included', () => {
    expect(buildConfig({ schema: Schema, file })).toEqual({
      gatewayId: 'gw-1',
      mqtt: { port: 1883, host: '127.0.0.1' },
      outbox: { dir: '/var/lib/edgeflow', maxBytes: 1_000_000, fsync: true },
      tags: [],
    });
  });

  it('applies prefixed environment overrides over the file, parsing JSON values', () => {
    const config = buildConfig({
      schema: Schema,
      file: { ...file, mqtt: { port: 1000 } },
      envPrefix: 'EDGEFLOW_GATEWAY_',
      env: {
        EDGEFLOW_GATEWAY_MQTT__PORT: '1884',
        EDGEFLOW_GATEWAY_OUTBOX__MAX_BYTES: '5000',
        EDGEFLOW_GATEWAY_OUTBOX__FSYNC: 'false',
        EDGEFLOW_GATEWAY_TAGS: '["a","b"]',
        EDGEFLOW_GATEWAY_MQTT__HOST: '0.0.0.0',
        OTHER_MQTT__PORT: '1',
        EDGEFLOW_GATEWAY_UNSET: undefined,
      },
    });
    expect(config.mqtt).toEqual({ port: 1884, host: '0.0.0.0' });
    expect(config.outbox).toEqual({ dir: '/var/lib/edgeflow', maxBytes: 5000, fsync: false });
    expect(config.tags).toEqual(['a', 'b']);
  });

  it('keeps the raw text for string settings, even when it looks like a number', () => {
    const config = buildConfig({
      schema: Schema,
      file,
      envPrefix: 'P_',
      env: { P_PASSWORD: '12345', P_GATEWAY_ID: 'true', P_MQTT__HOST: '10' },
    });
    expect(config.password).toBe('12345');
    expect(config.gatewayId).toBe('true');
    expect(config.mqtt.host).toBe('10');
  });

  it('ignores the environment without a prefix', () => {
    const config = buildConfig({ schema: Schema, file, env: { MQTT__PORT: '1' } });
    expect(config.mqtt.port).toBe(1883);
  });

  it('does not modify the file object it was given', () => {
    const input = structuredClone(file);
    buildConfig({ schema: Schema, file: input, envPrefix: 'P_', env: { P_OUTBOX__DIR: '/tmp/x' } });
    expect(input).toEqual(file);
  });

  it('throws one CONFIG_INVALID error listing every problem, file and environment alike', () => {
    const err = failure(() =>
      buildConfig({
        schema: Schema,
        file: { outbox: { dir: 7, maxBytes: 0 }, typo: true },
        source: '/etc/edgeflow/gateway.yaml',
        envPrefix: 'P_',
        env: { P_MQTT__PORT: 'not-a-port', P___PROTO__: '{}', P_MQTT____X: '1' },
      }),
    );
    expect(err.code).toBe('EDGEFLOW_CONFIG_INVALID');
    expect(err.message).toMatch(/^invalid config \(\/etc\/edgeflow\/gateway\.yaml\): /);
    const paths = err.problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        '$P___PROTO__',
        '$P_MQTT____X',
        '/typo',
        '/mqtt/port',
        '/outbox/dir',
        '/outbox/maxBytes',
        '/',
      ]),
    );
    for (const p of err.problems) expect(err.message).toContain(p.path);
  });

  it('refuses override names that would reach the prototype', () => {
    for (const name of ['P___PROTO__', 'P_CONSTRUCTOR', 'P_MQTT__PROTOTYPE']) {
      const err = failure(() =>
        buildConfig({ schema: Schema, file, envPrefix: 'P_', env: { [name]: '{"polluted":1}' } }),
      );
      expect(err.problems).toContainEqual({ path: `$${name}`, message: 'is not a valid override name' });
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([[[]], ['text'], [42], [null]])('treats a file that is not an object (%j) as a problem', (bad) => {
    if (bad === null) {
      // null means "no file": defaults apply, required settings are reported.
      expect(failure(() => buildConfig({ schema: Schema, file: bad })).message).toMatch(/gatewayId/);
      return;
    }
    const err = failure(() => buildConfig({ schema: Schema, file: bad }));
    expect(err.problems[0]).toEqual({ path: '/', message: 'config file must hold an object' });
  });

  it('returns a deeply frozen config', () => {
    const config = buildConfig({ schema: Schema, file });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.mqtt)).toBe(true);
    expect(Object.isFrozen(config.tags)).toBe(true);
    expect(() => {
      (config.mqtt as { port: number }).port = 1;
    }).toThrow(TypeError);
  });
});

describe('deepFreeze', () => {
  it('freezes nested objects and arrays and returns its argument', () => {
    const value = { a: { b: [1, { c: 2 }] } };
    expect(deepFreeze(value)).toBe(value);
    expect(Object.isFrozen(value.a.b[1])).toBe(true);
    expect(deepFreeze(5)).toBe(5);
  });
});
