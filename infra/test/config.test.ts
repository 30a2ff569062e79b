import { ErrorCodes, GATEWAY_ID_PATTERN, isEdgeflowError } from '@edgeflow/shared';
import * as pulumi from '@pulumi/pulumi';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseInfraConfig } from '../src/config.ts';

const minimal = {
  'gcp:project': 'acme-iot-prod',
  'gcp:region': 'europe-west1',
  'edgeflow:alertChannels': '[{"type":"email","emailAddress":"ops@acme.example"}]',
};

function problemsOf(raw: Record<string, string>): { message: string; paths: string[] } {
  try {
    parseInfraConfig(raw);
  } catch (err) {
    if (!isEdgeflowError(err, ErrorCodes.CONFIG_INVALID)) throw err;
    return { message: err.message, paths: err.problems.map((p) => p.path) };
  }
  throw new Error('config was accepted');
}

describe('parseInfraConfig', () => {
  it('fills every default from a minimal stack config and freezes the result', () => {
    const cfg = parseInfraConfig(minimal);
    expect(cfg).toMatchObject({
      project: 'acme-iot-prod',
      region: 'europe-west1',
      firestoreLocation: 'europe-west1',
      firestoreDeleteProtection: true,
      retentionDays: 30,
      gateways: [],
      gatewayKeyFilename: '/etc/edgeflow/pubsub-key.json',
      monitoring: { oldestUnackedAgeSeconds: 600, functionErrorRatio: 0.05 },
      functions: {
        ingest: { minInstances: 0, maxInstances: 20, memoryMb: 512 },
        notify: { minInstances: 0, maxInstances: 5, memoryMb: 256 },
        triage: { minInstances: 0, maxInstances: 2, memoryMb: 256 },
      },
    });
    expect(Object.isFrozen(cfg)).toBe(true);
    expect(Object.isFrozen(cfg.functions.ingest)).toBe(true);
  });

  it('takes structured values as JSON and plain strings as they are', () => {
    const cfg = parseInfraConfig({
      ...minimal,
      'edgeflow:firestoreLocation': 'eur3',
      'edgeflow:retentionDays': '90',
      'edgeflow:firestoreDeleteProtection': 'false',
      'edgeflow:gateways': '["site-a","site-b"]',
      'edgeflow:functions': '{"ingest":{"minInstances":1,"maxInstances":50,"memoryMb":1024}}',
      'edgeflow:webhookUrl': 'https://hooks.example/T000',
      'edgeflow:webhookAllowedHosts': '["hooks.example"]',
      'edgeflow:smtpUrl': 'smtps://u:p@smtp.example:465',
      'edgeflow:smtpFrom': 'alerts@acme.example',
    });
    expect(cfg.firestoreLocation).toBe('eur3');
    expect(cfg.retentionDays).toBe(90);
    expect(cfg.firestoreDeleteProtection).toBe(false);
    expect(cfg.gateways).toEqual(['site-a', 'site-b']);
    expect(cfg.functions.ingest).toEqual({ minInstances: 1, maxInstances: 50, memoryMb: 1024 });
    expect(cfg.functions.notify.maxInstances).toBe(5);
    expect(cfg.webhookUrl).toBe('https://hooks.example/T000');
  });

  it('reports every problem at once, each named by its config key', () => {
    const { message, paths } = problemsOf({
      'gcp:project': 'Acme_IoT',
      'edgeflow:retentionDays': '0',
      'edgeflow:alertChannels': '[{"type":"email"},{"type":"pager","url":"http://x"}]',
      'edgeflow:gateways': '["site-a","Site-B","site-a"]',
      'edgeflow:functions': '{"ingest":{"minInstances":5,"maxInstances":2},"notify":{"memoryMb":64,"cpu":2}}',
      'edgeflow:monitoring': '{not json',
      'edgeflow:smtpUrl': 'smtps://u:p@smtp.example',
      'edgeflow:webhookUrl': 'http://plain.example',
      'edgeflow:retentionDayz': '7',
    });
    expect(message.startsWith('invalid Pulumi stack config: ')).toBe(true);
    for (const expected of [
      'gcp:project',
      'gcp:region',
      'edgeflow:retentionDays',
      'edgeflow:alertChannels.0',
      'edgeflow:alertChannels.1.type',
      'edgeflow:alertChannels.1.url',
      'edgeflow:gateways.1',
      'edgeflow:gateways.2',
      'edgeflow:functions.ingest',
      'edgeflow:functions.notify.memoryMb',
      'edgeflow:monitoring',
      'edgeflow:smtpFrom',
      'edgeflow:webhookUrl',
      'edgeflow:retentionDayz',
    ]) {
      expect(paths, expected).toContain(expected);
    }
    expect(paths.some((p) => p.startsWith('edgeflow:functions.notify') && p.includes('unknown field'))).toBe(
      true,
    );
    expect(message).toContain('gcp:region is required (pulumi config set gcp:region europe-west1)');
    expect(message).toContain('minInstances (5) must not exceed maxInstances (2)');
    expect(message).toContain('duplicates gateway "site-a"');
    // One line per problem is enough; no problem is reported twice.
    expect(new Set(message.split('; ')).size).toBe(message.split('; ').length);
  });

  it('requires the webhook allowlist to allow the fleet webhook, naming only its host', () => {
    const { message, paths } = problemsOf({
      ...minimal,
      'edgeflow:webhookUrl': 'https://hooks.example/T0/B0/secret-token',
      'edgeflow:webhookAllowedHosts': '["*.other.example"]',
    });
    expect(paths).toEqual(['edgeflow:webhookAllowedHosts']);
    expect(message).toContain('(hooks.example)');
    expect(message).not.toContain('secret-token');
    const ok = parseInfraConfig({
      ...minimal,
      'edgeflow:webhookUrl': 'https://a.hooks.example/T0',
      'edgeflow:webhookAllowedHosts': '["*.hooks.example"]',
    });
    expect(ok.webhookAllowedHosts).toEqual(['*.hooks.example']);
    expect(parseInfraConfig(minimal).webhookAllowedHosts).toEqual([]);
  });

  it('refuses allowlist entries notify would not read and webhook URLs with credentials', () => {
    const { paths } = problemsOf({
      ...minimal,
      'edgeflow:webhookAllowedHosts': '["https://hooks.example","Hooks.Example"]',
      'edgeflow:webhookUrl': 'https://user:pw@hooks.example/x',
    });
    expect(paths).toEqual(
      expect.arrayContaining([
        'edgeflow:webhookAllowedHosts.0',
        'edgeflow:webhookAllowedHosts.1',
        'edgeflow:webhookUrl',
      ]),
    );
  });

  it('never puts a secret value into the error', () => {
    const { message } = problemsOf({
      ...minimal,
      'edgeflow:webhookUrl': 'http://secret-token@hooks.example',
    });
    expect(message).toContain('edgeflow:webhookUrl');
    expect(message).not.toContain('secret-token');
  });

  it('accepts every gateway id the shared grammar accepts', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(new RegExp(GATEWAY_ID_PATTERN)), { maxLength: 5 }),
        (ids) => {
          expect(parseInfraConfig({ ...minimal, 'edgeflow:gateways': JSON.stringify(ids) }).gateways).toEqual(
            ids,
          );
        },
      ),
      { seed: 6, numRuns: 200 },
    );
  });
});

describe('loadConfig', () => {
  it('reads the stack config through pulumi.Config', () => {
    pulumi.runtime.setAllConfig({ ...minimal, 'edgeflow:gateways': '["site-a"]' });
    expect(loadConfig().gateways).toEqual(['site-a']);
  });

  it('fails on an unknown edgeflow key the stack holds', () => {
    pulumi.runtime.setAllConfig({ ...minimal, 'edgeflow:gatway': 'x' });
    expect(() => loadConfig()).toThrow(/edgeflow:gatway is not a known key/);
  });
});
