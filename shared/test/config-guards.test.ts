/** Edges of config assembly that shared-core's mutation run found unpinned. */
import Type from 'typebox';
import { describe, expect, it } from 'vitest';
import { buildConfig, deepFreeze, ErrorCodes } from '../src/index.ts';

const Schema = Type.Object(
  {
    id: Type.String({ default: 'x' }),
    mqtt: Type.Object(
      { port: Type.Integer({ default: 1883 }) },
      { default: {}, additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

describe('buildConfig edges', () => {
  it('applies no overrides without a prefix or without an environment', () => {
    expect(buildConfig({ schema: Schema, file: {}, envPrefix: 'EF_' })).toEqual({
      id: 'x',
      mqtt: { port: 1883 },
    });
    expect(buildConfig({ schema: Schema, file: {}, env: { undefinedMQTT__PORT: '1' } }).mqtt.port).toBe(1883);
  });

  it('an override replaces a null section in the file', () => {
    const config = buildConfig({
      schema: Schema,
      file: { mqtt: null },
      env: { EF_MQTT__PORT: '1884' },
      envPrefix: 'EF_',
    });
    expect(config.mqtt.port).toBe(1884);
  });

  it('an override below a leaf is a validation problem, not a crash', () => {
    expect(() =>
      buildConfig({ schema: Schema, file: {}, env: { EF_MQTT__PORT__X: '1' }, envPrefix: 'EF_' }),
    ).toThrow(expect.objectContaining({ code: ErrorCodes.CONFIG_INVALID }));
    expect(() => buildConfig({ schema: Schema, file: {}, env: { EF_ID__X: '1' }, envPrefix: 'EF_' })).toThrow(
      expect.objectContaining({ code: ErrorCodes.CONFIG_INVALID }),
    );
  });

  it('names no source when none is given', () => {
    expect(() => buildConfig({ schema: Schema, file: { id: 7 } })).toThrow(/^invalid config: \/id /);
    expect(() => buildConfig({ schema: Schema, file: { id: 7 }, source: 'a.yaml' })).toThrow(
      /^invalid config \(a\.yaml\): \/id /,
    );
  });

  it('deepFreeze leaves primitives and null alone and freezes nested objects', () => {
    expect(deepFreeze(null)).toBeNull();
    expect(deepFreeze('s')).toBe('s');
    const value = { a: { b: [1, { c: 2 }] } };
    deepFreeze(value);
    expect(Object.isFrozen(value.a.b[1])).toBe(true);
  });
});
