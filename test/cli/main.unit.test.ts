import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../shared/cli/main.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0);
  return { out, err };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('trail', () => {
  it('prints the command list for --help, help, or nothing', async () => {
    for (const argv of [['--help'], ['help'], []]) {
      const { out } = capture();
      expect(await main(argv)).toBe(0);
      expect(out.join('')).toContain('Commands:');
      vi.restoreAllMocks();
    }
  });

  it('refuses an unknown command with exit code 2, naming it', async () => {
    const { err } = capture();
    expect(await main(['archvie'])).toBe(2);
    expect(err.join('')).toContain('unknown command "archvie"');
  });

  it('hands a command all of its own arguments, flags with values included', async () => {
    const { out } = capture();
    expect(await main(['report', '--help'])).toBe(0);
    expect(out.join('')).toContain('Usage: trail report');
  });
});
