import { afterEach, describe, expect, it, vi } from 'vitest';
import { runBench } from '../../bench/run.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('npm run bench (bench/main.ts → runBench)', () => {
  it('--help prints the options and exits 0 without starting anything', async () => {
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
    expect(await runBench(['--quick', '--help'])).toBe(0);
    expect(out.join('')).toContain('npm run bench -- [options]');
    expect(out.join('')).toContain('--quick');
  });

  it('refuses a flag it does not know with exit 2, the reason and the options', async () => {
    const err: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0);
    expect(await runBench(['--fast'])).toBe(2);
    expect(err.join('')).toMatch(/^bench: .*--fast/);
    expect(err.join('')).toContain('npm run bench -- [options]');
  });
});
