import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/signals/config.ts';

/** The `openai` section of the configuration: defaults filled in, every problem named by its key path. */

const upstream = {
  baseUrl: 'http://127.0.0.1:11434/v1/',
  tiers: { large: 'llama3.1:70b', small: 'llama3.2:3b' },
};

describe('openai configuration', () => {
  it('fills in the defaults', () => {
    const config = parseConfig({ openai: { zone: 'germany', upstreams: [upstream] } });
    expect(config.openai).toEqual({
      zone: 'DE',
      defaultTier: 'large',
      rules: { carbonBelow: 200, belowForecastMean: true, minSolarKw: 0.5, forecastHours: 24 },
      upstreams: [
        {
          name: 'upstream1',
          baseUrl: 'http://127.0.0.1:11434/v1',
          tiers: { large: 'llama3.1:70b', small: 'llama3.2:3b' },
          models: [],
          timeoutMs: 600_000,
        },
      ],
      aliases: { auto: 'auto' },
      deferred: { powerKw: 0.5, durationMin: 15, maxDeadlineHours: 168 },
    });
    expect(parseConfig({}).openai).toBeUndefined();
  });

  it('takes the name of the variable holding a key, and refuses the key itself', () => {
    const config = parseConfig({
      openai: {
        zone: 'FR',
        upstreams: [{ ...upstream, name: 'vllm', apiKeyEnv: 'VLLM_API_KEY', timeout: 30 }],
      },
    });
    expect(config.openai?.upstreams[0]).toMatchObject({
      name: 'vllm',
      apiKeyEnv: 'VLLM_API_KEY',
      timeoutMs: 30_000,
    });
    expect(() =>
      parseConfig({ openai: { zone: 'FR', upstreams: [{ ...upstream, apiKey: 'sk-123' }] } }),
    ).toThrow(/openai\.upstreams\[0\]\.apiKey: secrets are not read from the config file/);
    expect(() =>
      parseConfig({ openai: { zone: 'FR', upstreams: [{ ...upstream, apiKeyEnv: 'lower' }] } }),
    ).toThrow('config: openai.upstreams[0].apiKeyEnv: must be an environment variable name (A-Z, 0-9, _)');
  });

  it('names what is wrong', () => {
    expect(() => parseConfig({ openai: { zone: 'Atlantis', upstreams: [upstream] } })).toThrow(
      /^config: openai\.zone: /,
    );
    expect(() =>
      parseConfig({ openai: { zone: 'DE', upstreams: [{ baseUrl: 'http://a/v1', tiers: { large: 'x' } }] } }),
    ).toThrow('config: openai.upstreams: no upstream serves the small tier: give tiers.small on one of them');
    expect(() =>
      parseConfig({
        openai: {
          zone: 'DE',
          upstreams: [
            { ...upstream, name: 'a' },
            { ...upstream, name: 'a' },
          ],
        },
      }),
    ).toThrow('config: openai.upstreams[1].name: two upstreams are named "a"');
    expect(() =>
      parseConfig({ openai: { zone: 'DE', upstreams: [{ ...upstream, baseUrl: 'ftp://x' }] } }),
    ).toThrow('config: openai.upstreams[0].baseUrl: must be an http(s) URL');
    expect(() => parseConfig({ openai: { zone: 'DE', upstreams: [] } })).toThrow(
      'config: openai.upstreams: give at least one upstream { baseUrl, tiers }',
    );
    expect(() =>
      parseConfig({ openai: { zone: 'DE', defaultTier: 'medium', upstreams: [upstream] } }),
    ).toThrow('config: openai.defaultTier: must be large or small');
  });
});
