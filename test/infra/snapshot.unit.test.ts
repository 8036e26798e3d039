import { beforeAll, describe, expect, it } from 'vitest';
import { synthesize } from './synth.ts';

/** Blanks what changes with every code edit (asset hashes, version ids) so the snapshot shows infrastructure changes only. */
function redact(template: unknown): unknown {
  const text = JSON.stringify(template)
    .replace(/[0-9a-f]{64}(\.zip)?/g, '<asset-hash>')
    .replace(/CurrentVersion[0-9A-Fa-f]{8}[0-9a-f]{32}/g, 'CurrentVersion<hash>');
  return JSON.parse(text);
}

let synthesized: ReturnType<typeof synthesize>;

beforeAll(() => {
  synthesized = synthesize();
}, 300_000);

describe('synthesized templates (redacted)', () => {
  it('stateful stack', () => {
    expect(redact(synthesized.stateful.toJSON())).toMatchSnapshot();
  });

  it('stateless stack', () => {
    expect(redact(synthesized.stateless.toJSON())).toMatchSnapshot();
  });
});
